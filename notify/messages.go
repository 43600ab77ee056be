package notify

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/inps/libretto/domain"
)

// The messages, in Italian: a title of at most about 60 characters (App IO's
// subject must be 10–120) and a plain-text body naming the amount in euro
// and the service, claim or refund it is about. No codice fiscale of anyone
// else appears in a message: e-mail is not a channel for other people's data.

func serviceRecorded(s domain.ServiceRecorded) *Message {
	who := "Un utilizzatore del Libretto Famiglia ha comunicato"
	if s.ClaimID != "" {
		who = "L'erede di un utilizzatore del Libretto Famiglia ha inserito"
	}
	return &Message{Kind: KindServiceRecorded, Ref: s.ServiceID,
		Title: "Nuova prestazione comunicata",
		Body: fmt.Sprintf("%s una prestazione svolta da te: %s, %s, %s ore, %d titoli per un compenso netto di %s.\n\nRiferimento della prestazione: %s.",
			who, activity(s.Activity), period(s.StartDate, s.EndDate), hours(s.Hours), s.Vouchers, domain.Euro(s.NetCents), s.ServiceID)}
}

func serviceRevoked(s domain.ServiceRecorded) *Message {
	return &Message{Kind: KindServiceRevoked, Ref: s.ServiceID,
		Title: "Prestazione revocata",
		Body: fmt.Sprintf("L'utilizzatore ha revocato la prestazione %s (%s, %s) di %s netti: non sarà pagata.\n\nRiferimento della prestazione: %s.",
			activity(s.Activity), period(s.StartDate, s.EndDate), hours(s.Hours)+" ore", domain.Euro(s.NetCents), s.ServiceID)}
}

func serviceReversed(s domain.ServiceRecorded, reason string) *Message {
	return &Message{Kind: KindServiceReversed, Ref: s.ServiceID,
		Title: "Prestazione stornata dall'INPS",
		Body: fmt.Sprintf("Un operatore INPS ha stornato la prestazione %s (%s) di %s netti: non sarà pagata. Motivo: %s.\n\nRiferimento della prestazione: %s.",
			activity(s.Activity), period(s.StartDate, s.EndDate), domain.Euro(s.NetCents), reason, s.ServiceID)}
}

func workerPaid(v domain.WorkerPaid) *Message {
	how := "sul tuo IBAN"
	if v.IBAN == "" {
		how = "con bonifico domiciliato presso gli uffici postali"
	}
	body := fmt.Sprintf("L'INPS ha disposto il pagamento di %s %s per %d %s (compenso netto %s",
		domain.Euro(v.PaidCents), how, len(v.Services), plural(len(v.Services), "prestazione", "prestazioni"), domain.Euro(v.NetCents))
	if v.FeeCents > 0 {
		body += fmt.Sprintf(", commissione del bonifico domiciliato %s", domain.Euro(v.FeeCents))
	}
	body += fmt.Sprintf("), elaborazione del %s.\n\nRiferimento del pagamento: %s.", domain.ItalianDate(v.RunDate), v.RunID)
	return &Message{Kind: KindWorkerPaid, Ref: v.RunID, Title: "Pagamento disposto: " + domain.Euro(v.PaidCents), Body: body}
}

func depositCredited(id string, cents int64, channel, on string) *Message {
	via := ""
	switch channel {
	case "F24":
		via = " con F24"
	case "PAGOPA":
		via = " con pagoPA"
	}
	return &Message{Kind: KindDepositCredited, Ref: id,
		Title: "Versamento accreditato: " + domain.Euro(cents),
		Body: fmt.Sprintf("Il versamento di %s%s è stato accreditato sul tuo Libretto Famiglia il %s ed è disponibile per comunicare prestazioni.\n\nRiferimento del versamento: %s.",
			domain.Euro(cents), via, domain.ItalianDate(on), id)}
}

func heirValidated(claim string) *Message {
	return &Message{Kind: KindHeirValidated, Ref: claim,
		Title: "Dichiarazione di erede convalidata",
		Body: fmt.Sprintf("Un operatore INPS ha convalidato la tua dichiarazione di erede. Le prestazioni pregresse inserite saranno pagate con la prossima elaborazione e il rimborso richiesto può essere approvato.\n\nRiferimento della pratica: %s.",
			claim)}
}

func heirRejected(claim, reason string) *Message {
	return &Message{Kind: KindHeirRejected, Ref: claim,
		Title: "Dichiarazione di erede respinta",
		Body: fmt.Sprintf("Un operatore INPS ha respinto la tua dichiarazione di erede. Motivo: %s. Le prestazioni pregresse non pagate e il rimborso della pratica sono annullati.\n\nRiferimento della pratica: %s.",
			reason, claim)}
}

func refundApproved(refund string, cents int64) *Message {
	return &Message{Kind: KindRefundApproved, Ref: refund,
		Title: "Rimborso approvato: " + domain.Euro(cents),
		Body: fmt.Sprintf("Un operatore INPS ha approvato il rimborso di %s delle somme non utilizzate del Libretto Famiglia. Il bonifico sarà disposto sull'IBAN che hai indicato.\n\nRiferimento del rimborso: %s.",
			domain.Euro(cents), refund)}
}

func refundRejected(refund string, cents int64, reason string) *Message {
	return &Message{Kind: KindRefundRejected, Ref: refund,
		Title: "Rimborso respinto",
		Body: fmt.Sprintf("Un operatore INPS ha respinto il rimborso di %s. Motivo: %s. La somma torna disponibile sul libretto.\n\nRiferimento del rimborso: %s.",
			domain.Euro(cents), reason, refund)}
}

func refundPaid(refund string, cents int64, on string) *Message {
	return &Message{Kind: KindRefundPaid, Ref: refund,
		Title: "Rimborso pagato: " + domain.Euro(cents),
		Body: fmt.Sprintf("L'INPS ha pagato il rimborso di %s con bonifico del %s sull'IBAN che hai indicato.\n\nRiferimento del rimborso: %s.",
			domain.Euro(cents), domain.ItalianDate(on), refund)}
}

func priorServicePaid(s domain.ServiceRecorded, on string, toWorker bool) *Message {
	lead := "La prestazione pregressa che hai inserito come erede"
	if toWorker {
		lead = "La prestazione svolta da te e inserita dall'erede di un utilizzatore"
	}
	return &Message{Kind: KindPriorServicePaid, Ref: s.ServiceID,
		Title: "Prestazione pregressa pagata",
		Body: fmt.Sprintf("%s (%s, %s, %d titoli) è stata pagata il %s: compenso netto %s.\n\nRiferimento della prestazione: %s.",
			lead, activity(s.Activity), period(s.StartDate, s.EndDate), s.Vouchers, domain.ItalianDate(on), domain.Euro(s.NetCents), s.ServiceID)}
}

// monthlyReminder is the reminder of the 1st: the services of month (YYYY-MM)
// may be recorded until deadline.
func monthlyReminder(monthName, deadline string) *Message {
	return &Message{Kind: KindMonthlyReminder,
		Title: "Promemoria: comunica le prestazioni entro il " + deadline,
		Body: fmt.Sprintf("Le prestazioni occasionali svolte a %s vanno comunicate con il Libretto Famiglia entro il %s. Dopo quella data non è più possibile comunicarle né revocarle.\n\nRicorda che il saldo disponibile del libretto deve coprire i titoli di ogni prestazione.",
			monthName, deadline)}
}

// contactCode is the message carrying a verification code.
func contactCode(code string, expires time.Time) *Message {
	return &Message{Kind: KindContactCode,
		Title: "Codice di verifica del tuo indirizzo e-mail",
		Body: fmt.Sprintf("Il codice per verificare il tuo indirizzo e-mail sul portale del Libretto Famiglia è %s.\n\nInseriscilo nella pagina \"I miei recapiti\" entro le %s. Se non hai chiesto tu questo codice, ignora il messaggio.",
			code, expires.In(rome).Format("15:04 del 02/01/2006"))}
}

var rome = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		panic(err)
	}
	return loc
}()

func period(start, end string) string {
	if start == end {
		return "il " + domain.ItalianDate(start)
	}
	return "dal " + domain.ItalianDate(start) + " al " + domain.ItalianDate(end)
}

func hours(h float64) string {
	return strings.Replace(strconv.FormatFloat(h, 'f', -1, 64), ".", ",", 1)
}

func activity(a string) string {
	switch a {
	case "lavori_domestici":
		return "lavori domestici"
	case "assistenza_domiciliare":
		return "assistenza domiciliare"
	case "insegnamento_privato":
		return "insegnamento privato"
	}
	return a
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

var monthNames = [...]string{"gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre"}
