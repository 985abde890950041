// Package jsonerr says what encoding/json found wrong in words of the
// input (what field held what, what was wanted), never in Go's types, in
// one short printable line.
package jsonerr

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/perimeter-dev/perimeter/internal/quote"
)

// Describe says what encoding/json found wrong with data: what field held
// what, and what was wanted, never a Go type. Syntax errors name the line
// (the byte when data is nil: a stream); everything is one short line.
func Describe(data []byte, err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := strings.TrimPrefix(te.Field, ".")
		if field == "" {
			return fmt.Errorf("found %s, want %s", kindWord(te.Value), typeWord(te.Type))
		}
		return fmt.Errorf("%s is %s, want %s", quote.Q(field), kindWord(te.Value), typeWord(te.Type))
	case errors.As(err, &se) && data == nil:
		return fmt.Errorf("byte %d: not JSON: %s", se.Offset, quote.Line(se.Error()))
	case errors.As(err, &se):
		line := 1 + bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n"))
		if se.Offset >= int64(len(data)) {
			return fmt.Errorf("line %d: the JSON ends too soon", line)
		}
		return fmt.Errorf("line %d: not JSON: %s", line, quote.Line(se.Error()))
	case errors.Is(err, io.EOF):
		return errors.New("no JSON: the input is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("the JSON ends too soon")
	}
	return quote.Error(err)
}

// kindWord spells encoding/json's name of a JSON value ("number",
// "number -1", "array") with its article.
func kindWord(v string) string {
	name, lit, _ := strings.Cut(v, " ")
	w := map[string]string{"number": "a number", "string": "a string", "array": "an array", "object": "an object", "bool": "true or false"}[name]
	if w == "" {
		return quote.Q(v)
	}
	if len(lit) > 24 {
		lit = lit[:20] + "..."
	}
	if lit != "" {
		w += " " + quote.Line(lit)
	}
	return w
}

// typeWord names what a Go type holds, in JSON's words.
func typeWord(t reflect.Type) string {
	if t == nil {
		return "another kind of value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Bool:
		return "true or false"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number from 0"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "another kind of value"
}

// Kind names the kind of a raw JSON value by its first byte, with its
// article ("an object").
func Kind(raw []byte) string {
	b := bytes.TrimSpace(raw)
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "true or false"
	case 'n':
		return "null"
	}
	return "a number"
}
