package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/domain/access"
	"github.com/inps/libretto/notify"
)

// Contact data and the notification inbox (SPEC §9): a citizen's own, so
// the routes name no one; the caller is the person.

// ContactCommands is what the contact routes ask of the command side;
// *commands.Handler has it. Commands without it answer 404.
type ContactCommands interface {
	ChangeContacts(context.Context, commands.Meta, commands.ChangeContacts) (commands.Result, error)
	VerifyContacts(context.Context, commands.Meta, commands.VerifyContacts) (commands.Result, error)
	Contacts(ctx context.Context, cf string, now time.Time) (domain.ContactsView, error)
}

func (s *Server) notificationRoutes(r chi.Router) {
	s.Handle(r, http.MethodGet, "/me/contacts", access.ManageContacts, s.getContacts)
	s.Handle(r, http.MethodPut, "/me/contacts", access.ManageContacts, s.putContacts)
	s.Handle(r, http.MethodPost, "/me/contacts/verify", access.ManageContacts, s.postVerifyContacts)
	s.Handle(r, http.MethodGet, "/notifications", access.ReadNotifications, s.getNotifications)
	s.Handle(r, http.MethodPost, "/notifications/{id}/read", access.ReadNotifications, s.postNotificationRead)
}

type contactsBody struct {
	Email string `json:"email"`
	Phone string `json:"phone,omitempty"`
}

type verifyBody struct {
	Code string `json:"code"`
}

type contactsResponse struct {
	domain.ContactsView
	Position int64 `json:"position,omitempty"`
}

type notificationList struct {
	Notifications []notify.Notification `json:"notifications"`
	Unread        int                   `json:"unread"`
}

// caller is the caller's canonical codice fiscale; a subject that is none
// (a system feed) has no contact data and no inbox.
func (s *Server) caller(r *http.Request) (string, error) {
	p, _, _ := s.Principal(r)
	cf, err := domain.ParseCF(p.Subject)
	if err != nil {
		return "", notFound("no such person")
	}
	return cf.String(), nil
}

func (s *Server) contactCommands() (ContactCommands, error) {
	c, ok := s.cmd.(ContactCommands)
	if !ok {
		return nil, notFound("no contact data here")
	}
	return c, nil
}

func (s *Server) getContacts(w http.ResponseWriter, r *http.Request) {
	if !s.WaitForPosition(w, r) {
		return
	}
	c, err := s.contactCommands()
	var cf string
	if err == nil {
		cf, err = s.caller(r)
	}
	var v domain.ContactsView
	if err == nil {
		v, err = c.Contacts(r.Context(), cf, s.cfg.Now())
	}
	if err != nil {
		s.Problem(w, r, err)
		return
	}
	s.JSON(w, http.StatusOK, contactsResponse{ContactsView: v})
}

func (s *Server) putContacts(w http.ResponseWriter, r *http.Request) {
	var b contactsBody
	m, ok := s.Decode(w, r, MaxBody, &b)
	if !ok {
		return
	}
	s.contactCommand(w, r, "ChangeContacts", func(c ContactCommands) (commands.Result, error) {
		return c.ChangeContacts(r.Context(), m, commands.ChangeContacts{Email: b.Email, Phone: b.Phone})
	})
}

func (s *Server) postVerifyContacts(w http.ResponseWriter, r *http.Request) {
	var b verifyBody
	m, ok := s.Decode(w, r, MaxBody, &b)
	if !ok {
		return
	}
	s.contactCommand(w, r, "VerifyContacts", func(c ContactCommands) (commands.Result, error) {
		return c.VerifyContacts(r.Context(), m, commands.VerifyContacts{Code: b.Code})
	})
}

// contactCommand runs a contact command and answers the contact data after it.
func (s *Server) contactCommand(w http.ResponseWriter, r *http.Request, name string, run func(ContactCommands) (commands.Result, error)) {
	c, err := s.contactCommands()
	var cf string
	if err == nil {
		cf, err = s.caller(r)
	}
	var res commands.Result
	if err == nil {
		res, err = run(c)
	}
	var v domain.ContactsView
	if err == nil {
		v, err = c.Contacts(r.Context(), cf, s.cfg.Now())
	}
	s.Done(w, r, name, http.StatusOK, contactsResponse{ContactsView: v, Position: res.Position}, err)
}

func (s *Server) getNotifications(w http.ResponseWriter, r *http.Request) {
	if !s.WaitForPosition(w, r) {
		return
	}
	out := notificationList{Notifications: []notify.Notification{}}
	cf, err := s.caller(r)
	if err == nil && s.cfg.Inbox != nil {
		out.Notifications, err = s.cfg.Inbox.List(r.Context(), cf)
	}
	if err != nil {
		s.Problem(w, r, err)
		return
	}
	for _, n := range out.Notifications {
		if !n.Read {
			out.Unread++
		}
	}
	s.JSON(w, http.StatusOK, out)
}

func (s *Server) postNotificationRead(w http.ResponseWriter, r *http.Request) {
	var b emptyBody
	if _, ok := s.Decode(w, r, MaxBody, &b); !ok {
		return
	}
	cf, err := s.caller(r)
	if err == nil {
		err = notFound("no such notification")
		if s.cfg.Inbox != nil {
			err = s.cfg.Inbox.MarkRead(r.Context(), cf, chi.URLParam(r, "id"))
		}
	}
	if errors.Is(err, notify.ErrNotFound) {
		err = notFound("no such notification")
	}
	s.Done(w, r, "ReadNotification", http.StatusOK, map[string]any{"id": chi.URLParam(r, "id"), "read": true}, err)
}
