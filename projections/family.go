package projections

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/domain/family"
	"github.com/inps/libretto/domain/simulators"
	"github.com/inps/libretto/eventstore"
)

// FamilyProjector keeps the Portale delle Famiglie facts of family-<CF>
// streams: ISEE attestations, children, applications with their status
// history, benefit payments. Suggestions depend on the day, so they are
// derived when the dashboard is read, from these rows, by family.Suggest.
const FamilyProjector = "family"

// FamilyISEE is the current ISEE of a family ("Informazioni Bonus Sociali":
// the DSU's actual submission date decides the right to the social bonus).
type FamilyISEE struct {
	ValueCents     int64  `json:"value_cents"`
	Protocol       string `json:"protocol"`
	DSUSubmittedOn string `json:"dsu_submitted_on"`
	ValidUntil     string `json:"valid_until"`
	Valid          bool   `json:"valid"`          // valid on the day of the dashboard
	DaysToExpiry   int    `json:"days_to_expiry"` // negative once expired
}

// FamilyChild is a child of the family with its age on the dashboard's day.
type FamilyChild struct {
	ChildCF    string `json:"child_cf"`
	BirthDate  string `json:"birth_date"`
	Disability string `json:"disability"` // none, media, grave, non_autosufficiente
	AgeYears   int    `json:"age_years"`
	AgeMonths  int    `json:"age_months"` // whole months since birth
	Minor      bool   `json:"minor"`
}

// FamilyStatusChange is a step of an application's life.
type FamilyStatusChange struct {
	Status    string `json:"status"`
	ChangedOn string `json:"changed_on"`
	Note      string `json:"note,omitempty"`
}

// FamilyApplication is an application and its status.
type FamilyApplication struct {
	ApplicationID string               `json:"application_id"`
	Benefit       string               `json:"benefit"` // AUU, BONUS_NIDO, BONUS_BEBE, …
	BenefitLabel  string               `json:"benefit_label"`
	ChildCF       string               `json:"child_cf,omitempty"`
	SubmittedOn   string               `json:"submitted_on"`
	Status        string               `json:"status"` // submitted, in_review, approved, rejected, suspended, withdrawn
	StatusLabel   string               `json:"status_label"`
	UpdatedOn     string               `json:"updated_on"`
	History       []FamilyStatusChange `json:"history"`
}

// FamilyPayment is a benefit payment.
type FamilyPayment struct {
	PaymentID     string `json:"payment_id"`
	ApplicationID string `json:"application_id"`
	Benefit       string `json:"benefit"`
	AmountCents   int64  `json:"amount_cents"`
	PaidOn        string `json:"paid_on"`
}

// FamilySuggestion is something the family could do (family.Suggestion).
type FamilySuggestion = family.Suggestion

type familyProjector struct{}

func (familyProjector) Name() string { return FamilyProjector }

func (familyProjector) Setup(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `
CREATE TABLE IF NOT EXISTS isee (
	family_cf        text NOT NULL,
	protocol         text NOT NULL,
	value_cents      bigint NOT NULL,
	dsu_submitted_on text NOT NULL,
	valid_until      text NOT NULL,
	position         bigint NOT NULL,
	PRIMARY KEY (family_cf, protocol)
);
CREATE TABLE IF NOT EXISTS children (
	family_cf  text NOT NULL,
	child_cf   text NOT NULL,
	birth_date text NOT NULL,
	disability text NOT NULL,
	position   bigint NOT NULL,
	PRIMARY KEY (family_cf, child_cf)
);
CREATE TABLE IF NOT EXISTS applications (
	family_cf      text NOT NULL,
	application_id text NOT NULL,
	benefit        text NOT NULL,
	child_cf       text NOT NULL,
	submitted_on   text NOT NULL,
	status         text NOT NULL,
	position       bigint NOT NULL,
	PRIMARY KEY (family_cf, application_id)
);
CREATE TABLE IF NOT EXISTS application_history (
	family_cf      text NOT NULL,
	application_id text NOT NULL,
	position       bigint NOT NULL,
	status         text NOT NULL,
	changed_on     text NOT NULL,
	note           text NOT NULL,
	PRIMARY KEY (family_cf, application_id, position)
);
CREATE TABLE IF NOT EXISTS payments (
	family_cf      text NOT NULL,
	payment_id     text NOT NULL,
	application_id text NOT NULL,
	benefit        text NOT NULL,
	amount_cents   bigint NOT NULL,
	paid_on        text NOT NULL,
	position       bigint NOT NULL,
	PRIMARY KEY (family_cf, payment_id)
)`)
	return err
}

// Handles implements Selective: the types familyFolds folds.
func (familyProjector) Handles(eventType string) bool { return familyFolds.handles(eventType) }

// Apply writes each event as an upsert keyed by its natural key (and its
// position), so applying the same events again changes nothing.
func (familyProjector) Apply(ctx context.Context, tx pgx.Tx, events []eventstore.Event) error {
	batch := &pgx.Batch{}
	if err := familyFolds.apply(batch, events); err != nil {
		return err
	}
	if batch.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, batch).Close()
}

// familyFolds queues the statements of each family event; cf is the
// family-<CF> stream's id.
var familyFolds = foldsOf("family",
	on(func(batch *pgx.Batch, e eventstore.Event, cf string, v family.ISEERecorded) error {
		batch.Queue(`INSERT INTO isee (family_cf, protocol, value_cents, dsu_submitted_on, valid_until, position)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (family_cf, protocol) DO UPDATE SET value_cents = excluded.value_cents,
	dsu_submitted_on = excluded.dsu_submitted_on, valid_until = excluded.valid_until, position = excluded.position`,
			cf, v.Protocol, v.ValueCents, v.DSUSubmittedOn, v.ValidUntil, e.Position)
		return nil
	}),
	on(func(batch *pgx.Batch, e eventstore.Event, cf string, v family.ChildRecorded) error {
		batch.Queue(`INSERT INTO children (family_cf, child_cf, birth_date, disability, position) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (family_cf, child_cf) DO UPDATE SET birth_date = excluded.birth_date, disability = excluded.disability,
	position = excluded.position`,
			cf, v.ChildCF, v.BirthDate, v.Disability, e.Position)
		return nil
	}),
	on(func(batch *pgx.Batch, e eventstore.Event, cf string, v family.ApplicationRecorded) error {
		batch.Queue(`INSERT INTO applications (family_cf, application_id, benefit, child_cf, submitted_on, status, position)
VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (family_cf, application_id) DO NOTHING`,
			cf, v.ApplicationID, v.Benefit, v.ChildCF, v.SubmittedOn, v.Status, e.Position)
		batch.Queue(`INSERT INTO application_history (family_cf, application_id, position, status, changed_on, note)
VALUES ($1, $2, $3, $4, $5, '') ON CONFLICT DO NOTHING`,
			cf, v.ApplicationID, e.Position, v.Status, v.SubmittedOn)
		return nil
	}),
	on(func(batch *pgx.Batch, e eventstore.Event, cf string, v family.ApplicationStatusChanged) error {
		batch.Queue(`UPDATE applications SET status = $3, position = $4
WHERE family_cf = $1 AND application_id = $2 AND position < $4`,
			cf, v.ApplicationID, v.Status, e.Position)
		batch.Queue(`INSERT INTO application_history (family_cf, application_id, position, status, changed_on, note)
VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
			cf, v.ApplicationID, e.Position, v.Status, v.ChangedOn, v.Note)
		return nil
	}),
	on(func(batch *pgx.Batch, e eventstore.Event, cf string, v family.BenefitPaymentRecorded) error {
		batch.Queue(`INSERT INTO payments (family_cf, payment_id, application_id, benefit, amount_cents, paid_on, position)
VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (family_cf, payment_id) DO NOTHING`,
			cf, v.PaymentID, v.ApplicationID, v.Benefit, v.AmountCents, v.PaidOn, e.Position)
		return nil
	}),
)

// ContributeDashboard fills d.Family.
func (familyProjector) ContributeDashboard(ctx context.Context, q Querier, userCF, today string, d *Dashboard) error {
	f, err := familyView(ctx, q, userCF, today)
	if err != nil {
		return err
	}
	d.Family = &f
	return nil
}

// FamilyQueries reads the family read model on its own (the portal's family
// page and the API read it through the dashboard too).
type FamilyQueries interface {
	// Family is the Portale delle Famiglie part of the dashboard of cf on
	// today; a family nothing is known of has empty lists and the
	// suggestions that follow from that.
	Family(ctx context.Context, cf, today string) (Family, error)
}

// Family implements FamilyQueries.
func (q *PGQueries) Family(ctx context.Context, cf, today string) (Family, error) {
	return familyView(ctx, q.pool, cf, today)
}

func familyView(ctx context.Context, q Querier, cf, today string) (Family, error) {
	day, err := domain.ParseDate(today, "today")
	if err != nil {
		return Family{}, fmt.Errorf("projections: family: %w", err)
	}
	facts, err := familyFacts(ctx, q, cf)
	if err != nil {
		return Family{}, fmt.Errorf("projections: family: %w", err)
	}
	now := family.Day(day)
	out := Family{
		Children: []FamilyChild{}, Applications: []FamilyApplication{}, Payments: []FamilyPayment{},
		Suggestions: family.Suggest(facts, day),
	}
	if cur := facts.Current(); cur != nil {
		until, _ := time.Parse(time.DateOnly, cur.ValidUntil)
		days := int(until.Sub(now).Hours() / 24)
		out.ISEE = &FamilyISEE{ValueCents: cur.ValueCents, Protocol: cur.Protocol, DSUSubmittedOn: cur.DSUSubmittedOn,
			ValidUntil: cur.ValidUntil, Valid: days >= 0, DaysToExpiry: days}
	}
	for _, c := range facts.Children {
		birth, _ := time.Parse(time.DateOnly, c.BirthDate)
		years := simulators.AgeYears(birth, now)
		out.Children = append(out.Children, FamilyChild{ChildCF: c.CF, BirthDate: c.BirthDate, Disability: string(c.Disability),
			AgeYears: years, AgeMonths: ageMonths(birth, now), Minor: years < 18})
	}
	for _, a := range facts.Applications {
		fa := FamilyApplication{ApplicationID: a.ID, Benefit: string(a.Benefit), BenefitLabel: a.Benefit.Label(), ChildCF: a.ChildCF,
			SubmittedOn: a.SubmittedOn, Status: string(a.Status), StatusLabel: a.Status.Label(), UpdatedOn: a.SubmittedOn,
			History: []FamilyStatusChange{}}
		for _, h := range a.History {
			fa.History = append(fa.History, FamilyStatusChange{Status: string(h.Status), ChangedOn: h.ChangedOn, Note: h.Note})
			fa.UpdatedOn = h.ChangedOn
		}
		out.Applications = append(out.Applications, fa)
	}
	for _, p := range facts.Payments {
		out.Payments = append(out.Payments, FamilyPayment{PaymentID: p.ID, ApplicationID: p.ApplicationID, Benefit: string(p.Benefit),
			AmountCents: p.AmountCents, PaidOn: p.PaidOn})
	}
	return out, nil
}

// familyFacts reads the family's rows back into the facts the domain's
// suggestions take: children, applications and payments in recorded order
// (applications newest first is the view's order, below), ISEEs in order.
func familyFacts(ctx context.Context, q Querier, cf string) (family.Facts, error) {
	f := family.Facts{CF: cf}
	// The four reads go in one round trip: most dashboards have no family
	// data at all, and four round trips for nothing were a third of a
	// dashboard read's cost.
	b := &pgx.Batch{}
	b.Queue(`SELECT protocol, value_cents, dsu_submitted_on, valid_until FROM `+table(FamilyProjector, "isee")+`
WHERE family_cf = $1 ORDER BY position`, cf)
	b.Queue(`SELECT child_cf, birth_date, disability FROM `+table(FamilyProjector, "children")+`
WHERE family_cf = $1 ORDER BY birth_date, child_cf`, cf)
	b.Queue(`SELECT a.application_id, a.benefit, a.child_cf, a.submitted_on, a.status,
	h.status, h.changed_on, h.note
FROM `+table(FamilyProjector, "applications")+` a
JOIN `+table(FamilyProjector, "application_history")+` h USING (family_cf, application_id)
WHERE a.family_cf = $1 ORDER BY a.submitted_on DESC, a.application_id, h.position`, cf)
	b.Queue(`SELECT payment_id, application_id, benefit, amount_cents, paid_on FROM `+table(FamilyProjector, "payments")+`
WHERE family_cf = $1 ORDER BY paid_on DESC, position DESC`, cf)
	br := q.SendBatch(ctx, b)
	defer br.Close()
	rows, err := br.Query()
	if err != nil {
		return f, err
	}
	f.ISEEs, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (family.ISEE, error) {
		var i family.ISEE
		err := r.Scan(&i.Protocol, &i.ValueCents, &i.DSUSubmittedOn, &i.ValidUntil)
		return i, err
	})
	if err != nil {
		return f, err
	}
	rows, err = br.Query()
	if err != nil {
		return f, err
	}
	f.Children, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (family.Child, error) {
		var c family.Child
		var dis string
		err := r.Scan(&c.CF, &c.BirthDate, &dis)
		c.Disability = simulators.Disability(dis)
		return c, err
	})
	if err != nil {
		return f, err
	}
	rows, err = br.Query()
	if err != nil {
		return f, err
	}
	for rows.Next() {
		var a family.Application
		var benefit, status, hStatus string
		var h family.StatusChange
		if err := rows.Scan(&a.ID, &benefit, &a.ChildCF, &a.SubmittedOn, &status, &hStatus, &h.ChangedOn, &h.Note); err != nil {
			rows.Close()
			return f, err
		}
		a.Benefit, a.Status, h.Status = family.Benefit(benefit), family.Status(status), family.Status(hStatus)
		if n := len(f.Applications); n > 0 && f.Applications[n-1].ID == a.ID {
			f.Applications[n-1].History = append(f.Applications[n-1].History, h)
			continue
		}
		a.History = []family.StatusChange{h}
		f.Applications = append(f.Applications, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return f, err
	}
	rows, err = br.Query()
	if err != nil {
		return f, err
	}
	f.Payments, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (family.Payment, error) {
		var p family.Payment
		var benefit string
		err := r.Scan(&p.ID, &p.ApplicationID, &benefit, &p.AmountCents, &p.PaidOn)
		p.Benefit = family.Benefit(benefit)
		return p, err
	})
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return f, err
	}
	return f, nil
}

// ageMonths is the number of whole months from birth to day.
func ageMonths(birth, day time.Time) int {
	m := (day.Year()-birth.Year())*12 + int(day.Month()) - int(birth.Month())
	if day.Day() < birth.Day() {
		m--
	}
	return max(m, 0)
}
