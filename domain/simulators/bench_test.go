package simulators_test

import (
	"testing"

	"github.com/inps/libretto/domain/simulators"
)

func BenchmarkSimulateAUU(b *testing.B) {
	req := simulators.AUURequest{Year: 2026, ISEECents: isee(2500000), OnDate: "2026-03-10", BothParentsEarning: true,
		Children: []simulators.AUUChild{{BirthDate: "2025-12-01"}, {BirthDate: "2024-01-01"}, {BirthDate: "2018-05-05", Disability: "grave"}, {BirthDate: "2012-01-01"}}}
	for b.Loop() {
		if _, err := simulators.SimulateAUU(req); err != nil {
			b.Fatal(err)
		}
	}
}
