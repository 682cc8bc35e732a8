package auth

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxRedirectLen bounds a redirect target; real links in the service are
// far shorter.
const maxRedirectLen = 2048

// SafeRedirect returns next if a browser told to go there (a Location
// header) would stay on this site, and fallback otherwise. It judges next
// the way a browser parses it rather than by its first characters: a
// browser drops tabs and newlines anywhere, strips leading spaces and
// control characters, and reads a backslash as a slash, so "/\t/evil" and
// "/\evil" both lead to another host. Anything a browser would rewrite is
// refused, not repaired: next must be a path that starts with exactly one
// "/", holds no control, space, backslash, invisible or bidi character (raw
// or percent-encoded in the path), no "." or ".." segment, and is valid
// UTF-8. Non-ASCII letters are percent-encoded in the result.
func SafeRedirect(next, fallback string) string {
	if next == "" || len(next) > maxRedirectLen || !utf8.ValidString(next) {
		return fallback
	}
	if next[0] != '/' || (len(next) > 1 && (next[1] == '/' || next[1] == '\\')) {
		return fallback
	}
	var b strings.Builder
	for _, r := range next {
		if unsafeInURL(r) {
			return fallback
		}
		if r < utf8.RuneSelf {
			b.WriteRune(r)
			continue
		}
		var buf [utf8.UTFMax]byte
		for _, c := range buf[:utf8.EncodeRune(buf[:], r)] {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	out := b.String()
	// The path (not the query or fragment, which never change the host)
	// once percent-decoded must pass the same test: a server or proxy on
	// the way may decode it.
	path, _, _ := strings.Cut(out, "?")
	path, _, _ = strings.Cut(path, "#")
	decoded, err := url.PathUnescape(path)
	if err != nil || !utf8.ValidString(decoded) || strings.HasPrefix(decoded, "//") {
		return fallback
	}
	for _, r := range decoded {
		if unsafeInURL(r) {
			return fallback
		}
	}
	for _, seg := range strings.Split(decoded, "/") {
		if seg == "." || seg == ".." {
			return fallback
		}
	}
	u, err := url.Parse(out)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") {
		return fallback
	}
	return out
}

// unsafeInURL reports characters a browser strips, rewrites or hides in a
// URL: controls (C0, DEL, C1), spaces of any kind, the backslash, and
// invisible format characters (zero-width, bidi overrides).
func unsafeInURL(r rune) bool {
	return r < 0x20 || r == ' ' || r == '\\' || r == 0x7f || (r >= 0x80 && r <= 0x9f) ||
		unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError
}
