// Package fault holds the error kinds every layer shares. An Error carries
// a kind (which the edges map to an HTTP status or exit code) and a
// translatable message, never text in a language.
package fault

import (
	"errors"

	"tuopin/internal/i18n"
)

// Kind classifies an error for the edges.
type Kind string

// Kinds of errors.
const (
	Invalid      Kind = "invalid"      // 400 / 422: the input is wrong
	NotFound     Kind = "not_found"    // 404, also for records outside the user's scope
	Conflict     Kind = "conflict"     // 409: stale version or duplicate
	Unauthorized Kind = "unauthorized" // 401
	Forbidden    Kind = "forbidden"    // 403: in scope but the role may not
	Locked       Kind = "locked"       // 423 / 429: too many failed logins
	Internal     Kind = "internal"
)

// FieldError names one bad field of one row (0 when not from a file).
type FieldError struct {
	Row    int      `json:"row,omitempty"`
	Field  string   `json:"field"`
	Value  string   `json:"value,omitempty"`
	Reason i18n.Msg `json:"reason"`
}

// Error is a domain error.
type Error struct {
	Kind   Kind
	Msg    i18n.Msg
	Fields []FieldError
}

func (e *Error) Error() string { return string(e.Kind) + ": " + e.Msg.In(i18n.EN) }

// New makes an Error with a message key and alternating name, value args.
func New(kind Kind, key string, kv ...string) *Error {
	return &Error{Kind: kind, Msg: i18n.M(key, kv...)}
}

// Fields makes an Invalid error listing bad fields.
func Fields(fields []FieldError) *Error {
	return &Error{Kind: Invalid, Msg: i18n.M("error.invalid_fields"), Fields: fields}
}

// KindOf returns the kind of err, Internal for errors that are not ours.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// As returns err as *Error when it is one.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
