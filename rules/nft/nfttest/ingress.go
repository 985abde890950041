// Package nfttest holds helpers for tests that feed nft's own output to
// perimeter's readers.
package nfttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
)

var ingressDevice = regexp.MustCompile(`(?m)^table (\S+) (\S+) \{|^\s*chain (\S+) \{\n\s*type \S+ hook ingress device "([^"]+)"`)

// WithIngressDevices puts back into `nft -j list ruleset` output the
// devices of ingress chains that nft 1.0.6 leaves out of its JSON (it
// prints them in the text listing); newer nft writes them as "dev".
func WithIngressDevices(js, listing []byte) ([]byte, error) {
	devs := map[string]string{}
	var table string
	for _, m := range ingressDevice.FindAllSubmatch(listing, -1) {
		if m[1] != nil {
			table = string(m[1]) + " " + string(m[2])
			continue
		}
		devs[table+" "+string(m[3])] = string(m[4])
	}
	if len(devs) == 0 {
		return js, nil
	}
	var doc struct {
		Nftables []map[string]map[string]any `json:"nftables"`
	}
	d := json.NewDecoder(bytes.NewReader(js))
	d.UseNumber()
	if err := d.Decode(&doc); err != nil {
		return nil, fmt.Errorf("ingress devices: %w", err)
	}
	for _, obj := range doc.Nftables {
		if c, ok := obj["chain"]; ok {
			if dev, ok := devs[fmt.Sprintf("%v %v %v", c["family"], c["table"], c["name"])]; ok && c["dev"] == nil {
				c["dev"] = dev
			}
		}
	}
	return json.Marshal(doc)
}
