package familyfeed_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wmnats "github.com/ThreeDotsLabs/watermill-nats/v2/pkg/nats"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/commands/familyfeed"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/domain/family"
	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/eventstore/memory"
)

const (
	parentCF = "RSSMRA80A01H501U"
	childCF  = "RSSLCU23C15H501R"
)

var now = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func natsURL() string {
	if u := os.Getenv("NATS_URL"); u != "" {
		return u
	}
	return "nats://127.0.0.1:4222"
}

func fact(t *testing.T, f familyfeed.Fact) []byte {
	t.Helper()
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func familyTypes(t *testing.T, store eventstore.Store) []string {
	t.Helper()
	events, err := store.ReadStream(context.Background(), domain.FamilyStream(parentCF), eventstore.ReadOptions{})
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range events {
		types = append(types, e.Type)
		if e.Actor.ID != familyfeed.Actor || e.Actor.Role != string(commands.RoleSystem) {
			t.Errorf("event %s recorded by %+v, want the feed as system", e.Type, e.Actor)
		}
	}
	return types
}

func TestHandleIgnoresDuplicatesByMessageID(t *testing.T) {
	t.Parallel()
	store := memory.New()
	h := commands.NewHandler(store, memory.NewIdempotency(), memory.NewDocuments())
	ctx := context.Background()
	app := message.NewMessage(uuid.NewString(), fact(t, familyfeed.Fact{Kind: "application", FamilyCF: parentCF, ApplicationID: "AUU-1", Benefit: "AUU", SubmittedOn: "2026-01-10"}))
	pay := message.NewMessage(uuid.NewString(), fact(t, familyfeed.Fact{Kind: "payment", FamilyCF: parentCF, ApplicationID: "AUU-1", AmountCents: 20380, PaidOn: "2026-02-20"}))
	for _, m := range []*message.Message{app, pay, pay, app} {
		if err := familyfeed.Handle(ctx, h, now, m); err != nil {
			t.Fatal(err)
		}
	}
	// A payment without payment_id gets an id derived from the message id, so
	// the same message twice is one payment.
	if got := familyTypes(t, store); len(got) != 2 {
		t.Fatalf("events %v, want the application and one payment", got)
	}
	other := message.NewMessage(uuid.NewString(), pay.Payload)
	if err := familyfeed.Handle(ctx, h, now, other); err != nil {
		t.Fatal(err)
	}
	if got := familyTypes(t, store); len(got) != 3 {
		t.Fatalf("events %v: another message with the same payload is another payment", got)
	}
}

func TestHandleAcknowledgesRefusedFacts(t *testing.T) {
	t.Parallel()
	h := commands.NewHandler(memory.New(), memory.NewIdempotency(), memory.NewDocuments())
	for name, payload := range map[string][]byte{
		"not JSON":          []byte("{"),
		"an unknown field":  []byte(`{"kind":"isee","family_cf":"` + parentCF + `","colour":"red"}`),
		"an unknown kind":   []byte(`{"kind":"pension","family_cf":"` + parentCF + `"}`),
		"an invalid family": []byte(`{"kind":"child","family_cf":"XXX","child_cf":"` + childCF + `","birth_date":"2023-03-15"}`),
		"a rule refusal":    []byte(`{"kind":"payment","family_cf":"` + parentCF + `","application_id":"NOPE","amount_cents":1,"paid_on":"2026-01-01"}`),
	} {
		if err := familyfeed.Handle(context.Background(), h, now, message.NewMessage(uuid.NewString(), payload)); err != nil {
			t.Errorf("%s: %v, want it acknowledged (nil)", name, err)
		}
	}
}

// TestFeedOverJetStream publishes facts on a real NATS JetStream server and
// checks that the feed records them once, duplicates included.
func TestFeedOverJetStream(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the NATS server at " + natsURL())
	}
	topic := "libretto-family-test-" + uuid.NewString()[:8]
	durable := "feed-test-" + uuid.NewString()[:8]
	nc, err := nats.Connect(natsURL())
	if err != nil {
		t.Fatalf("NATS at %s: %v", natsURL(), err)
	}
	defer nc.Close()
	js, err := nc.JetStream()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = js.DeleteStream(topic) })

	store := memory.New()
	h := commands.NewHandler(store, memory.NewIdempotency(), memory.NewDocuments())
	feed, err := familyfeed.New(familyfeed.Config{URL: natsURL(), Topic: topic, Durable: durable, Commands: h,
		Now: func() time.Time { return now }, RetryDelay: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- feed.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()

	// The publisher does not ask the broker to deduplicate (TrackMsgId off),
	// so the duplicate below reaches the feed, which must ignore it.
	pub, err := wmnats.NewPublisher(wmnats.PublisherConfig{URL: natsURL(), JetStream: wmnats.JetStreamConfig{AutoProvision: true}},
		watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	child := message.NewMessage(uuid.NewString(), fact(t, familyfeed.Fact{Kind: "child", FamilyCF: parentCF, ChildCF: childCF, BirthDate: "2023-03-15"}))
	msgs := []*message.Message{
		message.NewMessage(uuid.NewString(), fact(t, familyfeed.Fact{Kind: "isee", FamilyCF: parentCF, ValueCents: 1500000, Protocol: "INPS-ISEE-2026-1", DSUSubmittedOn: "2026-01-15"})),
		child,
		message.NewMessage(uuid.NewString(), []byte(`{"kind":"nonsense"}`)), // refused and acknowledged: it must not block the rest
		message.NewMessage(uuid.NewString(), fact(t, familyfeed.Fact{Kind: "application", FamilyCF: parentCF, ApplicationID: "BN-1", Benefit: "BONUS_NIDO", ChildCF: childCF, SubmittedOn: "2026-02-01"})),
		message.NewMessage(child.UUID, child.Payload), // a duplicate by message id
		message.NewMessage(uuid.NewString(), fact(t, familyfeed.Fact{Kind: "application_status", FamilyCF: parentCF, ApplicationID: "BN-1", Status: "approved", ChangedOn: "2026-02-20"})),
		message.NewMessage(uuid.NewString(), fact(t, familyfeed.Fact{Kind: "payment", FamilyCF: parentCF, PaymentID: "P-1", ApplicationID: "BN-1", AmountCents: 32727, PaidOn: "2026-03-01"})),
	}
	if err := pub.Publish(topic, msgs...); err != nil {
		t.Fatal(err)
	}
	want := []string{family.TypeISEERecorded, family.TypeChildRecorded, family.TypeApplicationRecorded,
		family.TypeApplicationStatusChanged, family.TypeBenefitPaymentRecorded}
	deadline := time.Now().Add(20 * time.Second)
	var got []string
	for time.Now().Before(deadline) {
		if got = familyTypes(t, store); len(got) >= len(want) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(got) != len(want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("events %v, want %v", got, want)
		}
	}
	// Everything was acknowledged: the durable consumer has nothing pending.
	deadline = time.Now().Add(10 * time.Second)
	for {
		info, err := js.ConsumerInfo(topic, durable)
		if err != nil {
			t.Fatal(err)
		}
		if info.NumAckPending == 0 && info.NumPending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("consumer still has %d unacknowledged, %d pending", info.NumAckPending, info.NumPending)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := familyTypes(t, store); len(got) != len(want) {
		t.Fatalf("after acknowledgement: events %v, want %v", got, want)
	}
}
