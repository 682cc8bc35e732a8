package domain

import (
	"testing"
	"time"
)

func TestVietnamWording(t *testing.T) {
	// 17:30 UTC on 5 December is already 6 December in Vietnam.
	at := time.Date(2026, 12, 5, 17, 30, 0, 0, time.UTC)
	if got, want := PlaceDate(at), "Thành phố Hồ Chí Minh, ngày 06 tháng 12 năm 2026"; got != want {
		t.Errorf("PlaceDate = %q, want %q", got, want)
	}
	if got, want := FormatSigningTime(at), "2026-12-06T00:30:00+07:00"; got != want {
		t.Errorf("FormatSigningTime = %q, want %q", got, want)
	}
	if _, off := at.In(VietnamTime).Zone(); off != 7*3600 {
		t.Errorf("offset %d, want UTC+7", off)
	}
}

func TestValidationErrorNamesFields(t *testing.T) {
	err := &ValidationError{Fields: map[string]string{"title": "x", "doc_date": "y"}}
	if got, want := err.Error(), "invalid fields: doc_date, title"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
