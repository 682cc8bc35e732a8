package web

import "testing"

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/documents/5": "/documents/5", "": "/documents", "//evil.example": "/documents",
		"https://evil.example": "/documents", `/\evil.example`: "/documents",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
