package auth_test

import (
	"strings"
	"testing"

	"github.com/hcm-edu/vanban/auth"
)

func TestSafeRedirect(t *testing.T) {
	const fb = "/documents"
	tests := []struct{ in, want string }{
		// Same-site paths pass unchanged.
		{"/documents/5", "/documents/5"},
		{"/documents?q=a%20b&type=cv#top", "/documents?q=a%20b&type=cv#top"},
		{"/meetings/3?done=uploaded#item-4", "/meetings/3?done=uploaded#item-4"},
		{"/https://evil.example", "/https://evil.example"}, // a path on this site
		{"/javascript:alert(1)", "/javascript:alert(1)"},
		{"/@evil.example", "/@evil.example"},
		{"/documents?next=//evil.example", "/documents?next=//evil.example"}, // only the path decides the host
		{"/documents?q=%2F%2F", "/documents?q=%2F%2F"},
		{"/tìm-kiếm", "/t%C3%ACm-ki%E1%BA%BFm"}, // non-ASCII is encoded as a browser would
		// Empty, relative, absolute and scheme-relative targets.
		{"", fb},
		{"documents", fb},
		{"https://evil.example", fb},
		{"http:/evil.example", fb},
		{"javascript:alert(1)", fb},
		{"data:text/html,<script>alert(1)</script>", fb},
		{"//evil.example", fb},
		{"///evil.example", fb},
		{"/\\evil.example", fb},
		{"\\\\evil.example", fb},
		{"\\/evil.example", fb},
		// Characters browsers drop or rewrite (issue 10: /%09/evil.example).
		{"/\t/evil.example", fb},
		{"/\n/evil.example", fb},
		{"/\r/evil.example", fb},
		{"\t//evil.example", fb},
		{" //evil.example", fb},
		{"/ /evil.example", fb},
		{"/\x00/evil.example", fb},
		{"/\x0b/evil.example", fb},
		{"/\x7f/evil.example", fb},
		{"/\u0085/evil.example", fb}, // NEL
		{"/documents\x1b", fb},
		{"/documents/\\..\\evil", fb},
		// Percent-encoded forms of the same tricks, in the path.
		{"/%09/evil.example", fb},
		{"/%2F/evil.example", fb},
		{"/%2f%2fevil.example", fb},
		{"/%5Cevil.example", fb},
		{"/%5cevil.example", fb},
		{"/%0a/evil.example", fb},
		{"/%00", fb},
		{"/%zz", fb},
		{"/%e2%80%ae/x", fb}, // RLO, encoded
		{"/%ff", fb},         // invalid UTF-8, encoded
		// Dot segments, which resolve to another path (/.//x is //x).
		{"/.//evil.example", fb},
		{"/./documents", fb},
		{"/../evil.example", fb},
		{"/%2e%2e/evil.example", fb},
		{"/documents/..", fb},
		// Unicode: look-alike slashes, spaces, invisible and bidi characters.
		{"／／evil.example", fb},
		{"/\u3000/evil.example", fb},
		{"/\u00a0/evil.example", fb},
		{"/\u2028/evil.example", fb},
		{"/\u200b/evil.example", fb},
		{"/\u202e/elpmaxe.live", fb},
		{"/\ufeff/evil.example", fb},
		{"/\xff\xfe", fb},
	}
	for _, tt := range tests {
		if got := auth.SafeRedirect(tt.in, fb); got != tt.want {
			t.Errorf("SafeRedirect(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	long := "/" + strings.Repeat("documents/", 300)
	if got := auth.SafeRedirect(long, fb); got != fb {
		t.Errorf("a %d-byte target passes", len(long))
	}
}
