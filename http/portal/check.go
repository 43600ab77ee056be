package portal

import (
	"errors"
	"net/http"

	"github.com/inps/libretto/domain"
)

// A riepilogo asks the command it confirms whether it would be refused
// (commands.Handler.Check, a dry run that appends nothing) instead of
// restating its rules, so the two cannot disagree. What stays in the
// portal is reading the form (a date, an amount in euro, a codice fiscale
// typed the Italian way) and the wording of a refusal.

// wording gives a page's own words for a command's refusal: the field it is
// shown beside ("" for the top of the form) and the message; no message
// leaves it to applyError.
type wording func(de *domain.Error) (field, message string)

// check asks whether cmd would be refused now and puts the refusal on f as
// the Conferma would show it: in the page's own words when say has them,
// else applyError's, beside one of fields. It returns the status the page
// answers with when f is not OK (the separation of duties as the API
// answers them, else 422), and false when the refusal is not one a form can
// show (an unknown or someone else's record, a failure), already answered.
func (p *Portal) check(w http.ResponseWriter, r *http.Request, f *Form, cmd any, say wording, fields ...string) (int, bool) {
	err := p.cfg.Commands.Check(r.Context(), p.meta(r, nil), cmd)
	if err == nil {
		return http.StatusUnprocessableEntity, true
	}
	var de *domain.Error
	if say != nil && errors.As(err, &de) {
		if field, msg := say(de); msg != "" {
			switch {
			case field == "":
				f.Error = msg
			case f.Err(field) == "":
				f.Fail(field, msg)
			}
			return refusalStatus(err), true
		}
	}
	if !applyError(f, err, fields...) {
		p.commandFailed(w, r, err)
		return 0, false
	}
	return refusalStatus(err), true
}
