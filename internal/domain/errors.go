package domain

import (
	"errors"
	"sort"
	"strings"
)

var (
	// ErrNotFound is returned for something the user may not see as well as
	// for something that does not exist, so existence does not leak.
	ErrNotFound = errors.New("not found")
	// ErrForbidden is returned when the user's role does not allow the action
	// on something they can see.
	ErrForbidden = errors.New("not allowed")
)

// ValidationError lists the fields that are missing or malformed, each with
// a message in Vietnamese saying what to fix.
type ValidationError struct{ Fields map[string]string }

func (e *ValidationError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return "invalid fields: " + strings.Join(keys, ", ")
}

// Invalid is a ValidationError for one field.
func Invalid(field, message string) *ValidationError {
	return &ValidationError{Fields: map[string]string{field: message}}
}

// PreconditionError is returned when something the action needs is
// missing or the object is in a state that does not allow it (a key, a
// signature image, the person's signature before the seal). Code is stable
// for clients; Message says, in Vietnamese, what to do.
type PreconditionError struct{ Code, Message string }

func (e *PreconditionError) Error() string { return e.Code }
