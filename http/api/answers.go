package api

import (
	"net/http"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
)

// answerKeyEntries bounds the Idempotency-Keys the POSTs that change nothing
// remember: about 0.5 KB each at most (a 255-byte key, its scope and hash).
const answerKeyEntries = 10_000

// answerKeys gives the POSTs that change nothing (the simulators, the
// assistant) SPEC §5's Idempotency-Key contract without storing anything
// per request (SPEC §8: they are anonymous). Their answers are pure
// functions of the request and of the instant, so a repeat is computed
// again at the instant of the first use, to the same answer; all that is
// remembered is which request each key was first used with and when, in a
// fixed number of entries, the least recently used forgotten first. A key
// forgotten that way is a new key again (docs/decisions.md).
type answerKeys struct {
	cache *lru.Cache[string, firstUse]
}

// firstUse is the request a key was first answered for.
type firstUse struct {
	hash string
	at   time.Time
}

func newAnswerKeys(size int) *answerKeys {
	c, err := lru.New[string, firstUse](size)
	if err != nil {
		panic(err) // size is a positive constant
	}
	return &answerKeys{cache: c}
}

// answer computes fn's answer to the request of m, at m.Now or, for a
// repeat of a key's first request, at the instant of that request. scope
// is whose keys these are (the client's address: anonymous callers have
// no other identity). A key used with another request is refused with
// idempotency_key_reused; a refusal by fn is not remembered, so repeating
// the request decides it again, to the same refusal.
func (k *answerKeys) answer(scope string, m commands.Meta, fn func(now time.Time) (any, error)) (any, error) {
	if m.IdempotencyKey == "" {
		return fn(m.Now)
	}
	id := scope + "\x00" + m.IdempotencyKey
	if first, ok := k.cache.Get(id); ok {
		if first.hash != m.RequestHash {
			return nil, reused()
		}
		return fn(first.at)
	}
	v, err := fn(m.Now)
	if err != nil {
		return nil, err
	}
	// Two first uses at once: the one remembered first stands.
	if first, found, _ := k.cache.PeekOrAdd(id, firstUse{hash: m.RequestHash, at: m.Now}); found && first.hash != m.RequestHash {
		return nil, reused()
	}
	return v, nil
}

func reused() error {
	return domain.RuleError(domain.CodeIdempotencyKeyReused, "", "this Idempotency-Key was used with another request")
}

// answer writes 200 with what fn answers, under the request's
// Idempotency-Key when it has one; nothing is stored.
func (h familyHandlers) answer(w http.ResponseWriter, r *http.Request, m commands.Meta, name string, fn func(now time.Time) (any, error)) {
	scope := h.s.cfg.Limits.Anonymous.Clients().Key(r)
	v, err := h.s.answers.answer(scope, m, fn)
	h.s.Done(w, r, name, http.StatusOK, v, err)
}
