// Package familyfeed takes the Portale delle Famiglie facts (ISEE, children,
// applications and their status, benefit payments) from a NATS JetStream
// subject through Watermill and turns each message into the matching family
// command, as the system role. The app runs it when NATS_URL is set.
//
// Duplicates are ignored by message id: the Watermill message UUID is the
// command's idempotency key, so a redelivered or republished message answers
// the first result and appends nothing (and the event ids derived from the key
// make even a crash between append and acknowledgement harmless).
//
// It imports commands and domain; it must not import projections or http.
package familyfeed

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wmnats "github.com/ThreeDotsLabs/watermill-nats/v2/pkg/nats"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
)

// Defaults of Config.
const (
	// DefaultTopic is the JetStream stream and subject the facts arrive on.
	DefaultTopic = "libretto-family-facts"
	// DefaultDurable is the durable consumer (and queue group) name: every
	// instance of Libretto shares it, so each message is handled once.
	DefaultDurable = "libretto-family-feed"
	// Actor is the actor recorded on the events the feed appends.
	Actor = "nats-family-feed"
)

// Config configures the feed.
type Config struct {
	// URL of the NATS server, e.g. nats://127.0.0.1:4222 (NATS_URL). Required.
	URL string
	// Topic is the stream and subject name; DefaultTopic when empty.
	Topic string
	// Durable names the durable consumer and queue group; DefaultDurable when empty.
	Durable string
	// Commands executes the family commands. Required.
	Commands *commands.Handler
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger logs refused messages; slog.Default() when nil.
	Logger *slog.Logger
	// RetryDelay is how long a message that failed for a transient reason
	// (the store is down) waits before redelivery; 5 s when zero.
	RetryDelay time.Duration
}

func (c *Config) setDefaults() {
	if c.Topic == "" {
		c.Topic = DefaultTopic
	}
	if c.Durable == "" {
		c.Durable = DefaultDurable
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.RetryDelay == 0 {
		c.RetryDelay = 5 * time.Second
	}
}

// Validate reports every missing piece at once.
func (c Config) Validate() error {
	var errs []error
	if c.URL == "" {
		errs = append(errs, errors.New("familyfeed: URL is required"))
	}
	if c.Commands == nil {
		errs = append(errs, errors.New("familyfeed: Commands is required"))
	}
	return errors.Join(errs...)
}

// Message kinds (the "kind" field of a message's payload).
const (
	KindISEE              = "isee"
	KindChild             = "child"
	KindApplication       = "application"
	KindApplicationStatus = "application_status"
	KindPayment           = "payment"
)

// Fact is a message's payload: the kind, the family and the fact's fields,
// named as in the HTTP API's bodies (docs/family.md).
type Fact struct {
	Kind     string `json:"kind"`
	FamilyCF string `json:"family_cf"`

	// isee
	ValueCents     int64  `json:"value_cents,omitempty"`
	Protocol       string `json:"protocol,omitempty"`
	DSUSubmittedOn string `json:"dsu_submitted_on,omitempty"`
	ValidUntil     string `json:"valid_until,omitempty"`

	// child (and application's child)
	ChildCF    string `json:"child_cf,omitempty"`
	BirthDate  string `json:"birth_date,omitempty"`
	Disability string `json:"disability,omitempty"`

	// application, application_status, payment
	ApplicationID string `json:"application_id,omitempty"`
	Benefit       string `json:"benefit,omitempty"`
	SubmittedOn   string `json:"submitted_on,omitempty"`
	Status        string `json:"status,omitempty"`
	ChangedOn     string `json:"changed_on,omitempty"`
	Note          string `json:"note,omitempty"`

	// payment
	PaymentID   string `json:"payment_id,omitempty"`
	AmountCents int64  `json:"amount_cents,omitempty"`
	PaidOn      string `json:"paid_on,omitempty"`
}

// Feed is a running subscriber.
type Feed struct {
	cfg Config
	sub *wmnats.Subscriber
}

// New connects to NATS and prepares the durable JetStream subscription
// (creating the stream when missing).
func New(cfg Config) (*Feed, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	sub, err := wmnats.NewSubscriber(wmnats.SubscriberConfig{
		URL:              cfg.URL,
		QueueGroupPrefix: cfg.Durable,
		SubscribersCount: 1,
		AckWaitTimeout:   30 * time.Second,
		NatsOptions:      []nats.Option{nats.Name("libretto " + cfg.Durable), nats.MaxReconnects(-1)},
		Unmarshaler:      &wmnats.NATSMarshaler{},
		NakDelay:         wmnats.NewStaticDelay(cfg.RetryDelay),
		JetStream: wmnats.JetStreamConfig{
			AutoProvision:    true,
			DurablePrefix:    cfg.Durable,
			SubscribeOptions: []nats.SubOpt{nats.DeliverAll(), nats.AckExplicit(), nats.ManualAck()},
		},
	}, watermill.NewSlogLogger(cfg.Logger))
	if err != nil {
		return nil, fmt.Errorf("familyfeed: %w", err)
	}
	return &Feed{cfg: cfg, sub: sub}, nil
}

// Run handles messages until ctx ends, then closes the subscription.
func (f *Feed) Run(ctx context.Context) error {
	msgs, err := f.sub.Subscribe(ctx, f.cfg.Topic)
	if err != nil {
		_ = f.sub.Close()
		return fmt.Errorf("familyfeed: subscribe %s: %w", f.cfg.Topic, err)
	}
	defer f.sub.Close()
	for {
		select {
		case <-ctx.Done():
			return nil
		case msg, ok := <-msgs:
			if !ok {
				return nil
			}
			if err := Handle(msg.Context(), f.cfg.Commands, f.cfg.Now(), msg); err != nil {
				f.cfg.Logger.Warn("family feed: message will be redelivered", "message_id", msg.UUID, "err", err)
				msg.Nack()
				continue
			}
			msg.Ack()
		}
	}
}

// Handle turns one message into its command. A fact the domain refuses
// (a malformed or inconsistent message) is logged and answered nil, so that
// it is acknowledged and not redelivered forever; only failures worth a retry
// (the store unreachable) are returned.
func Handle(ctx context.Context, h *commands.Handler, now time.Time, msg *message.Message) error {
	res, err := handle(ctx, h, now, msg)
	var de *domain.Error
	switch {
	case err == nil:
		slog.Debug("family feed: fact recorded", "message_id", msg.UUID, "position", res.Position)
		return nil
	case errors.As(err, &de), errors.Is(err, errMalformed):
		slog.Warn("family feed: fact refused", "message_id", msg.UUID, "err", err)
		return nil
	default:
		return err
	}
}

var errMalformed = errors.New("familyfeed: malformed message")

func handle(ctx context.Context, h *commands.Handler, now time.Time, msg *message.Message) (commands.Result, error) {
	if msg.UUID == "" {
		return commands.Result{}, fmt.Errorf("%w: no message id", errMalformed)
	}
	var f Fact
	dec := json.NewDecoder(bytes.NewReader(msg.Payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return commands.Result{}, fmt.Errorf("%w: %v", errMalformed, err)
	}
	sum := sha256.Sum256(msg.Payload)
	m := commands.Meta{
		ActorCF:        Actor,
		Role:           commands.RoleSystem,
		Now:            now,
		CorrelationID:  correlation(msg.UUID),
		IdempotencyKey: "nats:" + msg.UUID,
		RequestHash:    hex.EncodeToString(sum[:]),
	}
	switch f.Kind {
	case KindISEE:
		return h.RecordISEE(ctx, m, commands.RecordISEE{FamilyCF: f.FamilyCF, ValueCents: f.ValueCents, Protocol: f.Protocol,
			DSUSubmittedOn: f.DSUSubmittedOn, ValidUntil: f.ValidUntil})
	case KindChild:
		return h.RecordChild(ctx, m, commands.RecordChild{FamilyCF: f.FamilyCF, ChildCF: f.ChildCF, BirthDate: f.BirthDate, Disability: f.Disability})
	case KindApplication:
		return h.RecordApplication(ctx, m, commands.RecordApplication{FamilyCF: f.FamilyCF, ApplicationID: f.ApplicationID, Benefit: f.Benefit,
			ChildCF: f.ChildCF, SubmittedOn: f.SubmittedOn, Status: f.Status, ChangedOn: f.ChangedOn})
	case KindApplicationStatus:
		return h.ChangeApplicationStatus(ctx, m, commands.ChangeApplicationStatus{FamilyCF: f.FamilyCF, ApplicationID: f.ApplicationID,
			Status: f.Status, ChangedOn: f.ChangedOn, Note: f.Note})
	case KindPayment:
		return h.RecordBenefitPayment(ctx, m, commands.RecordBenefitPayment{FamilyCF: f.FamilyCF, PaymentID: f.PaymentID,
			ApplicationID: f.ApplicationID, AmountCents: f.AmountCents, PaidOn: f.PaidOn})
	}
	return commands.Result{}, fmt.Errorf("%w: unknown kind %q", errMalformed, f.Kind)
}

// correlation is the message's UUID when it is one, else a UUID derived
// from it, so every event of one message correlates.
func correlation(id string) uuid.UUID {
	if u, err := uuid.Parse(id); err == nil {
		return u
	}
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("nats:"+id))
}
