// Package domain is the vocabulary every domain package shares: the errors
// the domain returns (each mapped to one HTTP status by the HTTP layer) and
// the Vietnam helpers (the time zone, the signing-time format, the place
// name and the date in words). It imports nothing of the project, so any
// package may use it without depending on documents, routing or meetings.
package domain
