package assistant_test

import (
	"testing"

	"github.com/inps/libretto/domain/assistant"
)

func BenchmarkAsk(b *testing.B) {
	a := assistant.Default()
	for b.Loop() {
		a.Ask("Come chiedo il rimborso del libretto di mio padre deceduto?")
	}
}
