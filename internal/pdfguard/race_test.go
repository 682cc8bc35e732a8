//go:build race

package pdfguard

const raceEnabled = true
