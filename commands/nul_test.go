package commands_test

import (
	"testing"

	"github.com/inps/libretto/commands"
)

// Whatever the entry point (API, portal form, family feed), text holding
// U+0000 never reaches the log: the read models' jsonb cannot hold it and the
// projector would stop on it.
func TestTextWithANULCharacterIsRefusedAndAppendsNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.user(mario, 10_000)
	claim := f.must(f.h.RegisterHeir(ctx(), citizen(heirCF), heirOfMario()))
	before, err := f.store.Head(ctx())
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.h.RejectHeir(ctx(), operator(), commands.RejectHeir{ClaimID: claim.ID, Reason: "falso\x00erede"})
	wantCode(t, err, "invalid_character")
	after, err := f.store.Head(ctx())
	if err != nil {
		t.Fatal(err)
	}
	if after.Position != before.Position {
		t.Fatalf("a refused command appended: head %d → %d", before.Position, after.Position)
	}
	f.must(f.h.RejectHeir(ctx(), operator(), commands.RejectHeir{ClaimID: claim.ID, Reason: "falso erede"}))
}
