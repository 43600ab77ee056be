package api

import "testing"

func TestCodiciFiscaliAreMaskedInLogs(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, in, want string }{
		{"a CF alone keeps its first six and last three characters", "RSSMRA85T10A562S", "RSSMRA*******62S"},
		{"a CF in a path is masked", "/api/v1/workers/RSSMRA85T10A562S/statements/2026", "/api/v1/workers/RSSMRA*******62S/statements/2026"},
		{"an omocodic CF is masked", "RSSMRA85T10A56NS", "RSSMRA*******6NS"},
		{"a system name is kept", "F24-FEED", "F24-FEED"},
	}
	for _, tc := range cases {
		if got := maskCFs(tc.in); got != tc.want {
			t.Errorf("%s: maskCFs(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
	}
}
