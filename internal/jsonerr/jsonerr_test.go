package jsonerr

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDescribe(t *testing.T) {
	var v struct {
		Family string   `json:"family"`
		Handle uint64   `json:"handle"`
		List   []string `json:"list"`
	}
	for _, c := range []struct{ doc, want string }{
		{`{"family":5}`, `"family" is a number, want a string`},
		{`{"handle":-1}`, `"handle" is a number -1, want a whole number from 0`},
		{`{"handle":` + strings.Repeat("9", 1000) + `}`, `"handle" is a number 99999999999999999999..., want a whole number from 0`},
		{`{"list":{}}`, `"list" is an object, want an array`},
		{`[1]`, `found an array, want an object`},
		{"{\"family\":\"a\x1b\"}", `line 1: not JSON: invalid character '\x1b' in string literal`},
		{"{\n\"family\":", `line 2: the JSON ends too soon`},
	} {
		err := Describe([]byte(c.doc), json.Unmarshal([]byte(c.doc), &v))
		if err == nil || err.Error() != c.want {
			t.Errorf("%.40q: %v, want %s", c.doc, err, c.want)
		}
	}
}

func TestKind(t *testing.T) {
	for raw, want := range map[string]string{`{}`: "an object", ` [1]`: "an array", `"x"`: "a string", `5`: "a number", `true`: "true or false", `null`: "null", ``: "nothing"} {
		if got := Kind([]byte(raw)); got != want {
			t.Errorf("Kind(%q) = %s, want %s", raw, got, want)
		}
	}
}
