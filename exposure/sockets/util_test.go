package sockets_test

import (
	"errors"
	"net/netip"
)

func netipMust(s string) netip.Addr { return netip.MustParseAddr(s) }

func errorsJoin(errs ...error) error { return errors.Join(errs...) }
