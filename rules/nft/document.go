package nft

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/perimeter-dev/perimeter/internal/jsonerr"
)

// topObjects reads the document's shape: {"nftables": [{...}, ...]}.
// An input of white space only holds nothing (nil, no error).
func topObjects(data []byte) ([]map[string]json.RawMessage, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		if k := jsonerr.Kind(data); k != "an object" && json.Valid(data) {
			return nil, fmt.Errorf(`the document is %s, want an object {"nftables": [...]} as nft -j list ruleset prints`, k)
		}
		return nil, jsonerr.Describe(data, err)
	}
	raw, ok := doc["nftables"]
	if !ok {
		return nil, errors.New(`no "nftables" array: is this the output of nft -j list ruleset?`)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf(`"nftables" is %s, want an array of objects`, jsonerr.Kind(raw))
	}
	objs := make([]map[string]json.RawMessage, len(items))
	for i, it := range items {
		if err := json.Unmarshal(it, &objs[i]); err != nil || objs[i] == nil {
			return nil, fmt.Errorf(`object %d of "nftables" is %s, want an object`, i+1, jsonerr.Kind(it))
		}
	}
	return objs, nil
}
