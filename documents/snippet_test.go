package documents

import (
	"strings"
	"testing"
)

// A phrase typed without accents is shown where it stands, even deep in a
// long document full of its common words.
func TestSnippetFindsThePhraseInALongText(t *testing.T) {
	filler := strings.Repeat("các thủ tục hành chính và thể chế của các đơn vị; ", 3000)
	text := filler + "Tăng cường lồng ghép các giải pháp thể chế trong kế hoạch. " + filler
	words := []string{"long", "ghep", "cac", "giai", "phap", "the", "che"}
	got := string(Snippet(text, words, 30))
	want := "<mark>lồng</mark> <mark>ghép</mark> <mark>các</mark> <mark>giải</mark> <mark>pháp</mark> <mark>thể</mark> <mark>chế</mark>"
	if !strings.Contains(got, want) {
		t.Fatalf("snippet %q lacks %q", got, want)
	}
	if n := len([]rune(got)); n > 400 {
		t.Errorf("snippet of %d characters, want a fragment", n)
	}
}
