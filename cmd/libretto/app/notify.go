package app

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/inps/libretto/notify"
)

// notifications wires the notifier (SPEC §9): the projector goes to the
// runner in Open, so that rebuilds and status know it; the dispatcher, the
// monthly reminder and the codes' sender start with the server.

// notifier is the notifier projector for this configuration's channels.
func (c Config) notifier() *notify.Projector {
	return notify.NewProjector(notify.ProjectorConfig{Email: c.SMTPURL != "", IO: c.ioOn()})
}

func (c Config) ioOn() bool { return c.IOAPIURL != "" && c.IOAPIKey != "" }

// validateNotify reports the notification settings' problems.
func (c Config) validateNotify() error {
	var errs []error
	if c.SMTPURL != "" {
		if u, err := url.Parse(c.SMTPURL); err != nil || u.Scheme != "smtp" || u.Hostname() == "" {
			errs = append(errs, errors.New("SMTP_URL must be smtp://[user:pass@]host[:port]"))
		}
	}
	if (c.IOAPIURL == "") != (c.IOAPIKey == "") {
		errs = append(errs, errors.New("IO_API_URL and IO_API_KEY go together"))
	}
	return errors.Join(errs...)
}

// startNotify starts draining the outbox and the monthly reminder, and
// makes contact-data codes go out by e-mail.
func (a *App) startNotify() error {
	c := a.Config
	var senders []notify.Sender
	if c.SMTPURL != "" {
		e, err := notify.NewEmail(notify.EmailConfig{URL: c.SMTPURL, From: c.SMTPFrom})
		if err != nil {
			return err
		}
		senders = append(senders, e)
	}
	if c.ioOn() {
		io, err := notify.NewAppIO(notify.IOConfig{URL: c.IOAPIURL, Key: c.IOAPIKey})
		if err != nil {
			return err
		}
		senders = append(senders, io)
	}
	d, err := notify.NewDispatcher(a.ctx, notify.DispatcherConfig{Pool: a.Pool, Senders: senders,
		Logger: a.log.With("component", "notify"), Registerer: a.Registry})
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	a.Dispatcher = d
	a.wg.Add(2)
	go func() {
		defer a.wg.Done()
		d.Run(a.ctx)
	}()
	r := &notify.Reminder{Pool: a.Pool, Email: c.SMTPURL != "", IO: c.ioOn(), Logger: a.log.With("component", "reminder"), Wake: d.Wake}
	go func() {
		defer a.wg.Done()
		r.Run(a.ctx, a.now)
	}()
	codes := &notify.Codes{Pool: a.Pool, Wake: d.Wake}
	if c.SMTPURL == "" {
		if c.Mode == ModeDev {
			codes.DevLog = a.log.With("component", "contacts")
		} else {
			a.log.Warn("SMTP_URL is not set: e-mail verification codes and e-mail notifications cannot be sent")
		}
	}
	a.Commands.SetCodeSender(codes)
	a.Inbox = notify.NewInbox(a.Pool)
	return nil
}
