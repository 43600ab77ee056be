package portal

import (
	"strings"

	"github.com/inps/libretto/commands"
)

// The main menu and the home page's activities of every section. A section
// whose pages live in files of their own (the Portale delle Famiglie pages
// and the simulators in family*.go, with templates named family_*.html)
// registers its routes from Portal.routes and adds its entries here.
//
// A handler reads the person with currentUser(r), builds a form with
// newForm() / formFrom(r), runs commands with p.meta(r, f), puts command
// errors on the form with applyError, and answers with
// p.render(w, r, "family_x", data) (the page's data is .Data in the
// template; the layout, CSRF token and flash come for free), p.redirect
// after a successful POST (setFlash first), p.notFound or p.serverError.
// Every POST form must carry {{template "csrf" $}}; add {{template "key" .Data.Form}}
// when it runs a command.

// Card is an activity on the home page ("Tutte le attività dedicate a te").
type Card struct {
	Title  string
	Text   string
	Href   string
	Action string // the link's text
	Icon   string // a Bootstrap Italia sprite name, e.g. "it-user"
}

// NavItem is an entry of the main menu.
type NavItem struct {
	Label  string
	Href   string
	Active bool
}

// navFor is the main menu of a person, the current section marked.
func navFor(u *User, path string) []NavItem {
	if u == nil {
		return nil
	}
	items := []NavItem{{Label: "Home", Href: "/"}}
	switch u.Role {
	case commands.RoleCitizen:
		items = append(items,
			NavItem{Label: "Erede", Href: "/erede"},
			NavItem{Label: "Il mio libretto", Href: "/libretto"},
			NavItem{Label: "Prestatore", Href: "/prestatore"},
			NavItem{Label: "Deleghe", Href: "/deleghe"},
		)
	case commands.RoleOperator:
		items = append(items,
			NavItem{Label: "Pratiche da lavorare", Href: "/backoffice"},
			NavItem{Label: "Storno prestazione", Href: "/backoffice/storno"},
			NavItem{Label: "Pagamenti", Href: "/backoffice/pagamenti"},
			NavItem{Label: "Versamenti", Href: "/backoffice/versamenti"},
		)
	case commands.RoleAuditor:
		items = append(items,
			NavItem{Label: "Audit pratiche", Href: "/audit"},
			NavItem{Label: "Verifica integrità", Href: "/audit/verifica"},
		)
	}
	items = append(items, familyNav(u)...)
	best := -1
	for i, it := range items {
		if it.Href == "/" {
			continue
		}
		if (path == it.Href || strings.HasPrefix(path, it.Href+"/")) && (best < 0 || len(it.Href) > len(items[best].Href)) {
			best = i
		}
	}
	if best < 0 && path == "/" {
		best = 0
	}
	if best >= 0 {
		items[best].Active = true
	}
	return items
}

// cardsFor are the activities of the home page.
func cardsFor(u *User) []Card {
	var cards []Card
	switch {
	case u.Is(commands.RoleCitizen):
		cards = append(cards,
			Card{Title: "Erede – Libretto Famiglia", Icon: "it-files",
				Text: "Registra la tua qualità di erede di un titolare deceduto, inserisci le prestazioni pregresse e chiedi il rimborso delle somme non utilizzate.",
				Href: "/erede", Action: "Vai alla sezione eredi"},
			Card{Title: "Riepilogo delle operazioni da erede", Icon: "it-list",
				Text: "Le operazioni effettuate in qualità di erede, in ordine, con il loro esito.",
				Href: "/erede/riepilogo", Action: "Consulta il riepilogo"},
			Card{Title: "Il mio Libretto Famiglia", Icon: "it-card",
				Text: "Saldo, prestazioni comunicate, limiti annui e spesa dell'anno; comunica o revoca una prestazione.",
				Href: "/libretto", Action: "Apri il libretto"},
			Card{Title: "Prestatore: prospetto dei compensi", Icon: "it-file",
				Text: "Il prospetto annuale dei compensi ricevuti con il Libretto Famiglia, scaricabile in PDF.",
				Href: "/prestatore", Action: "Vedi il prospetto"},
			Card{Title: "Documenti: i manuali d'uso", Icon: "it-help-circle",
				Text: "Come usare il libretto, la sezione eredi e la sezione prestatore: un manuale per profilo, anche in PDF.",
				Href: "/documenti", Action: "Leggi i manuali"},
		)
	case u.Is(commands.RoleOperator):
		cards = append(cards,
			Card{Title: "Pratiche da lavorare", Icon: "it-inbox",
				Text: "Dichiarazioni di erede da convalidare e rimborsi da approvare o pagare.",
				Href: "/backoffice", Action: "Apri la lista di lavoro"},
			Card{Title: "Storno di una prestazione", Icon: "it-restore",
				Text: "Storna una prestazione non ancora pagata indicandone il motivo: fondi e limiti tornano disponibili.",
				Href: "/backoffice/storno", Action: "Storna una prestazione"},
			Card{Title: "Elaborazione pagamenti", Icon: "it-calendar",
				Text: "Paga ai prestatori tutte le prestazioni comunicate e non ancora pagate.",
				Href: "/backoffice/pagamenti", Action: "Avvia i pagamenti"},
			Card{Title: "Registrazione versamenti", Icon: "it-card",
				Text: "Registra un versamento F24 o pagoPA sul libretto di un utilizzatore.",
				Href: "/backoffice/versamenti", Action: "Registra un versamento"},
		)
	case u.Is(commands.RoleAuditor):
		cards = append(cards,
			Card{Title: "Cronologia di una pratica", Icon: "it-clock",
				Text: "Gli eventi di una pratica erede e il suo stato a una data e ora a scelta.",
				Href: "/audit", Action: "Consulta le pratiche"},
			Card{Title: "Verifica dell'integrità", Icon: "it-locked",
				Text: "Ricalcola la catena di hash di ogni flusso di eventi e segnala ogni alterazione.",
				Href: "/audit/verifica", Action: "Verifica la catena"},
		)
	}
	cards = append(cards, familyCards(u)...)
	return append(cards, contactsCards(u)...)
}
