package portal

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/domain/access"
	"github.com/inps/libretto/notify"
)

// "I miei recapiti" and "Notifiche" (SPEC §9): the citizen's own contact
// data, with the code sent to the address, and the inbox of what happened
// to them; the bell in the header counts the unread.

// Inbox is what the portal reads of the notifications: *notify.Inbox.
type Inbox interface {
	List(ctx context.Context, cf string) ([]notify.Notification, error)
	Unread(ctx context.Context, cf string) (int, error)
	MarkRead(ctx context.Context, cf, id string) error
}

// contactsRoutes registers "I miei recapiti" and "Notifiche".
func (p *Portal) contactsRoutes() {
	p.page("GET /recapiti", commands.RoleCitizen, access.ManageContacts, p.contactsPage)
	p.page("POST /recapiti", commands.RoleCitizen, access.ManageContacts, p.contactsSave)
	p.page("POST /recapiti/verifica", commands.RoleCitizen, access.ManageContacts, p.contactsVerify)
	p.page("GET /notifiche", commands.RoleCitizen, access.ReadNotifications, p.notificationsPage)
	p.page("POST /notifiche/{id}/letta", commands.RoleCitizen, access.ReadNotifications, p.notificationRead)
}

// contactsCards are the inbox's and the contact data's activities on a
// citizen's home page.
func contactsCards(u *User) []Card {
	if !u.Is(commands.RoleCitizen) {
		return nil
	}
	return []Card{
		{Title: "Notifiche", Icon: "it-mail", Href: "/notifiche", Action: "Leggi le notifiche",
			Text: "I messaggi dell'INPS su prestazioni, pagamenti, versamenti e pratiche da erede che ti riguardano."},
		{Title: "I miei recapiti", Icon: "it-user", Href: "/recapiti", Action: "Gestisci i recapiti",
			Text: "L'indirizzo e-mail, verificato con un codice, a cui ricevere le notifiche, e il numero di telefono."},
	}
}

func init() {
	messages[domain.CodeInvalidEmail] = "L'indirizzo e-mail non è valido: per esempio nome.cognome@esempio.it."
	messages[domain.CodeInvalidPhone] = "Il numero di telefono non è valido: da 6 a 15 cifre, con il prefisso internazionale facoltativo (+39)."
	messages[domain.CodeInvalidCode] = "Il codice non è quello inviato al tuo indirizzo e-mail."
	messages[domain.CodeCodeExpired] = "Il codice è scaduto: salva di nuovo l'indirizzo per riceverne uno nuovo."
	messages[domain.CodeTooManyAttempts] = "Hai inserito troppi codici errati: salva di nuovo l'indirizzo per riceverne uno nuovo."
	messages[domain.CodeNothingToVerify] = "Non c'è un codice da verificare: indica prima il tuo indirizzo e-mail."
}

type contactsData struct {
	Contacts domain.ContactsView
	Form     *Form // the address and phone
	Verify   *Form // the code
	Expires  time.Time
}

func (p *Portal) contactsData(r *http.Request, f, v *Form) (contactsData, error) {
	c, err := p.cfg.Commands.Contacts(r.Context(), currentUser(r).CF, p.now())
	if err != nil {
		return contactsData{}, err
	}
	if f == nil {
		f = newForm()
		f.Set("email", c.Email)
		f.Set("phone", c.Phone)
	}
	if v == nil {
		v = newForm()
	}
	d := contactsData{Contacts: c, Form: f, Verify: v}
	if c.CodeExpiresAt != nil {
		d.Expires = *c.CodeExpiresAt
	}
	return d, nil
}

func (p *Portal) contactsPage(w http.ResponseWriter, r *http.Request) {
	d, err := p.contactsData(r, nil, nil)
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	p.render(w, r, "contacts", d)
}

func (p *Portal) contactsSave(w http.ResponseWriter, r *http.Request) {
	f := formFrom(r)
	f.Required("email")
	if f.OK() {
		res, err := p.cfg.Commands.ChangeContacts(r.Context(), p.meta(r, f), commands.ChangeContacts{Email: f.Get("email"), Phone: f.Get("phone")})
		if err == nil {
			p.waitFor(r, res)
			setFlash(r, "success", "Recapiti salvati. Se l'indirizzo e-mail è nuovo, ti abbiamo inviato un codice di 6 cifre: inseriscilo qui sotto entro 15 minuti.")
			p.redirect(w, r, "/recapiti")
			return
		}
		if !applyError(f, err, "email", "phone") {
			p.commandFailed(w, r, err)
			return
		}
	}
	d, err := p.contactsData(r, f, nil)
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	p.renderStatus(w, r, http.StatusUnprocessableEntity, "contacts", d)
}

func (p *Portal) contactsVerify(w http.ResponseWriter, r *http.Request) {
	v := formFrom(r)
	v.Required("code")
	if v.OK() {
		res, err := p.cfg.Commands.VerifyContacts(r.Context(), p.meta(r, v), commands.VerifyContacts{Code: v.Get("code")})
		if err == nil {
			p.waitFor(r, res)
			setFlash(r, "success", "Indirizzo e-mail verificato: da ora riceverai lì le notifiche.")
			p.redirect(w, r, "/recapiti")
			return
		}
		var de *domain.Error
		if !applyError(v, err, "code") {
			p.commandFailed(w, r, err)
			return
		}
		if errors.As(err, &de) {
			if left, ok := de.CallerFacts()["tries_left"].(int); ok && de.Code == domain.CodeInvalidCode {
				v.Fail("code", fmt.Sprintf("%s Tentativi rimasti: %d.", messages[domain.CodeInvalidCode], left))
			}
		}
	}
	d, err := p.contactsData(r, nil, v)
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	p.renderStatus(w, r, http.StatusUnprocessableEntity, "contacts", d)
}

type notificationsData struct {
	Notifications []notify.Notification
	Form          *Form
}

func (p *Portal) notificationsPage(w http.ResponseWriter, r *http.Request) {
	d := notificationsData{Form: newForm()}
	if p.cfg.Inbox != nil {
		list, err := p.cfg.Inbox.List(r.Context(), currentUser(r).CF)
		if err != nil {
			p.serverError(w, r, err)
			return
		}
		d.Notifications = list
	}
	p.render(w, r, "notifications", d)
}

func (p *Portal) notificationRead(w http.ResponseWriter, r *http.Request) {
	if p.cfg.Inbox == nil {
		p.notFound(w, r)
		return
	}
	err := p.cfg.Inbox.MarkRead(r.Context(), currentUser(r).CF, r.PathValue("id"))
	if errors.Is(err, notify.ErrNotFound) {
		p.notFound(w, r)
		return
	}
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	p.redirect(w, r, "/notifiche")
}

// unread is the bell's count for the person signed in: 0 for anyone but a
// citizen, or when it cannot be read (the page still shows).
func (p *Portal) unread(r *http.Request) int {
	u := currentUser(r)
	if p.cfg.Inbox == nil || u == nil || u.Role != commands.RoleCitizen {
		return 0
	}
	n, err := p.cfg.Inbox.Unread(r.Context(), u.CF)
	if err != nil {
		p.cfg.Logger.Warn("portal: unread notifications", "err", err)
		return 0
	}
	return n
}
