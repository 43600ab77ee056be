package family

import (
	"time"

	"github.com/inps/libretto/domain"
)

// Error codes of the family aggregate (API: never rename).
const (
	CodeInvalidBenefit     = "invalid_benefit"
	CodeInvalidStatus      = "invalid_status"
	CodeInvalidProtocol    = "invalid_protocol"
	CodeUnknownApplication = "unknown_application"
	CodeInvalidID          = "invalid_id"
)

// Benefit is a family benefit an application is for.
type Benefit string

// The benefits the Portale delle Famiglie shows (seed: msg. INPS 1263/2022).
const (
	BenefitAUU              Benefit = "AUU"                // Assegno Unico Universale
	BenefitBonusNido        Benefit = "BONUS_NIDO"         // bonus asilo nido
	BenefitBonusBebe        Benefit = "BONUS_BEBE"         // assegno di natalità / bonus nuovi nati
	BenefitAssegnoTemp      Benefit = "ASSEGNO_TEMPORANEO" // assegno temporaneo per i figli minori
	BenefitBabySitting      Benefit = "BONUS_BABY_SITTING"
	BenefitCentriEstivi     Benefit = "CENTRI_ESTIVI"
	BenefitAssegnoMaternita Benefit = "ASSEGNO_MATERNITA"
	BenefitCongedoParentale Benefit = "CONGEDO_PARENTALE"
)

var benefitLabels = map[Benefit]string{
	BenefitAUU:              "Assegno Unico Universale",
	BenefitBonusNido:        "Bonus asilo nido",
	BenefitBonusBebe:        "Bonus nuovi nati (bonus bebè)",
	BenefitAssegnoTemp:      "Assegno temporaneo per i figli minori",
	BenefitBabySitting:      "Bonus baby-sitting",
	BenefitCentriEstivi:     "Centri estivi",
	BenefitAssegnoMaternita: "Assegno di maternità",
	BenefitCongedoParentale: "Congedo parentale",
}

// ParseBenefit accepts one of the benefit codes.
func ParseBenefit(s string) (Benefit, error) {
	b := Benefit(s)
	if _, ok := benefitLabels[b]; !ok {
		return "", domain.RuleError(CodeInvalidBenefit, "benefit", "unknown benefit").With("benefits", Benefits())
	}
	return b, nil
}

// Benefits lists the benefit codes.
func Benefits() []string {
	return []string{string(BenefitAUU), string(BenefitBonusNido), string(BenefitBonusBebe), string(BenefitAssegnoTemp),
		string(BenefitBabySitting), string(BenefitCentriEstivi), string(BenefitAssegnoMaternita), string(BenefitCongedoParentale)}
}

// Label is the benefit's Italian name.
func (b Benefit) Label() string { return benefitLabels[b] }

// Status is where an application stands.
type Status string

// The application statuses.
const (
	StatusSubmitted Status = "submitted"
	StatusInReview  Status = "in_review"
	StatusApproved  Status = "approved"
	StatusRejected  Status = "rejected"
	StatusSuspended Status = "suspended"
	StatusWithdrawn Status = "withdrawn"
)

var statusLabels = map[Status]string{
	StatusSubmitted: "presentata",
	StatusInReview:  "in istruttoria",
	StatusApproved:  "accolta",
	StatusRejected:  "respinta",
	StatusSuspended: "sospesa",
	StatusWithdrawn: "rinunciata",
}

// ParseStatus accepts one of the statuses; "" means submitted.
func ParseStatus(s string) (Status, error) {
	if s == "" {
		return StatusSubmitted, nil
	}
	st := Status(s)
	if _, ok := statusLabels[st]; !ok {
		return "", domain.RuleError(CodeInvalidStatus, "status",
			"status must be submitted, in_review, approved, rejected, suspended or withdrawn")
	}
	return st, nil
}

// Label is the status in Italian.
func (s Status) Label() string { return statusLabels[s] }

// Live reports whether an application in this status still stands (it was
// not rejected or withdrawn).
func (s Status) Live() bool { return s != StatusRejected && s != StatusWithdrawn }

// Day is a civil date as time (UTC midnight) for day arithmetic.
func Day(d domain.Date) time.Time {
	t, _ := time.Parse(time.DateOnly, d.String())
	return t
}
