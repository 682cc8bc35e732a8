// Package fonts embeds Liberation Serif, metric-compatible with Times New
// Roman (the face Decree 30 asks for), with the Vietnamese glyphs. Licence:
// SIL Open Font License, in LICENSE beside this file.
package fonts

import _ "embed" // the font files

var (
	// Regular is Liberation Serif Regular, TrueType.
	//
	//go:embed LiberationSerif-Regular.ttf
	Regular []byte

	// Bold is Liberation Serif Bold, TrueType.
	//
	//go:embed LiberationSerif-Bold.ttf
	Bold []byte

	// Italic is Liberation Serif Italic, TrueType: the place and date line.
	//
	//go:embed LiberationSerif-Italic.ttf
	Italic []byte
)
