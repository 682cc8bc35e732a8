package org

import "testing"

func TestValidCode(t *testing.T) {
	tests := []struct {
		code string
		ok   bool
	}{
		{"000.00.00.H29", true},
		{"000.00.04.G14", true},
		{"001.05.24.H29", true},
		{"000.00.H29", false},     // too few groups
		{"000.00.00.h29", false},  // lower case
		{"000.00.00.129", false},  // last group must start with a letter
		{"000..00.H29", false},    // empty group
		{"000.00.00.H29.", false}, // trailing dot
		{"0000.00.00.H29", false}, // group too long
		{"", false},
		{"000.00.00.00.00.00.00.00.00.00.00.H29", false}, // over 35 characters
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			if got := ValidCode(tt.code); got != tt.ok {
				t.Errorf("ValidCode(%q) = %v, want %v", tt.code, got, tt.ok)
			}
		})
	}
}
