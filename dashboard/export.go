package dashboard

import (
	"io"

	"github.com/hcm-edu/vanban/internal/domain"
)

// Export formats.
const (
	FormatXLSX = "xlsx"
	FormatPDF  = "pdf"
)

// Write writes the report in format (xlsx or pdf) and returns its content
// type; another format is a validation error.
func Write(w io.Writer, r Report, format string) (string, error) {
	switch format {
	case FormatXLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", WriteXLSX(w, r)
	case FormatPDF:
		return "application/pdf", WritePDF(w, r)
	}
	return "", &domain.ValidationError{Fields: map[string]string{"format": "định dạng phải là xlsx hoặc pdf"}}
}
