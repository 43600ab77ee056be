package api_test

import (
	"net/http"
	"testing"
)

// BenchmarkRecordServiceThroughTheAPI is one POST /services through the
// real server, the command handler and PostgreSQL.
func BenchmarkRecordServiceThroughTheAPI(b *testing.B) {
	s := newStack(b)
	w := newWorld(b, s, 1_000_000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.post("/services", w.userTok, service(w.worker, 1, 1)).want(http.StatusCreated)
	}
}

// BenchmarkReadOwnDashboard is GET /families/{cf}/dashboard with
// ?min_position of the caller's last write.
func BenchmarkReadOwnDashboard(b *testing.B) {
	s := newStack(b)
	w := newWorld(b, s, 1_000_000)
	last := s.post("/services", w.userTok, service(w.worker, 1, 1)).want(http.StatusCreated)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.get("/families/"+w.user+"/dashboard?"+last.pos(), w.userTok).want(http.StatusOK)
	}
}

// BenchmarkReadDashboard is GET /families/{cf}/dashboard without waiting.
func BenchmarkReadDashboard(b *testing.B) {
	s := newStack(b)
	w := newWorld(b, s, 1_000_000)
	last := s.post("/services", w.userTok, service(w.worker, 1, 1)).want(http.StatusCreated)
	s.get("/families/"+w.user+"/dashboard?"+last.pos(), w.userTok).want(http.StatusOK)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.get("/families/"+w.user+"/dashboard", w.userTok).want(http.StatusOK)
	}
}
