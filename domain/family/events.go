package family

import "github.com/inps/libretto/domain"

// Event type names of the family-<CF> stream. They are stored with every
// event and never change. Every payload is schema version 1.
const (
	TypeISEERecorded             = "ISEERecorded"
	TypeChildRecorded            = "ChildRecorded"
	TypeApplicationRecorded      = "ApplicationRecorded"
	TypeApplicationStatusChanged = "ApplicationStatusChanged"
	TypeBenefitPaymentRecorded   = "BenefitPaymentRecorded"
)

// ISEERecorded is an ISEE attestation from the ISEE system. The current ISEE
// of a family is the one with the latest DSU submission date.
type ISEERecorded struct {
	ValueCents     int64  `json:"value_cents"`
	Protocol       string `json:"protocol"`         // INPS-ISEE-... protocol of the DSU
	DSUSubmittedOn string `json:"dsu_submitted_on"` // the DSU's actual transmission date ("Informazioni Bonus Sociali")
	ValidUntil     string `json:"valid_until"`
}

// ChildRecorded is a minor child of the family as the registry knows it; a
// later ChildRecorded with the same CF replaces the earlier facts.
type ChildRecorded struct {
	ChildCF    string `json:"child_cf"`
	BirthDate  string `json:"birth_date"`
	Disability string `json:"disability"` // none, media, grave, non_autosufficiente
}

// ApplicationRecorded is an application (domanda) for a family benefit.
type ApplicationRecorded struct {
	ApplicationID string `json:"application_id"`
	Benefit       string `json:"benefit"`
	ChildCF       string `json:"child_cf,omitempty"` // the child it is for, when the benefit is per child
	SubmittedOn   string `json:"submitted_on"`
	Status        string `json:"status"`
}

// ApplicationStatusChanged moves an application to a new status.
type ApplicationStatusChanged struct {
	ApplicationID string `json:"application_id"`
	Status        string `json:"status"`
	Previous      string `json:"previous"`
	ChangedOn     string `json:"changed_on"`
	Note          string `json:"note,omitempty"`
}

// BenefitPaymentRecorded is a payment of a benefit of an application.
type BenefitPaymentRecorded struct {
	PaymentID     string `json:"payment_id"`
	ApplicationID string `json:"application_id"`
	Benefit       string `json:"benefit"`
	AmountCents   int64  `json:"amount_cents"`
	PaidOn        string `json:"paid_on"`
}

// EventType implements domain.Event.
func (ISEERecorded) EventType() string             { return TypeISEERecorded }
func (ChildRecorded) EventType() string            { return TypeChildRecorded }
func (ApplicationRecorded) EventType() string      { return TypeApplicationRecorded }
func (ApplicationStatusChanged) EventType() string { return TypeApplicationStatusChanged }
func (BenefitPaymentRecorded) EventType() string   { return TypeBenefitPaymentRecorded }

// The family's events decode through domain.Decode: this package registers
// them in domain's registry (domain cannot import it; it imports domain).
func init() {
	domain.Register[ISEERecorded]()
	domain.Register[ChildRecorded]()
	domain.Register[ApplicationRecorded]()
	domain.Register[ApplicationStatusChanged]()
	domain.Register[BenefitPaymentRecorded]()
}
