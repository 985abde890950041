package sockets

import (
	"os/user"
	"strconv"
)

// userNames caches uid → name lookups.
type userNames map[uint32]string

func (u *userNames) name(uid uint32) string {
	if *u == nil {
		*u = userNames{}
	}
	if n, ok := (*u)[uid]; ok {
		return n
	}
	n := ""
	if usr, err := user.LookupId(strconv.FormatUint(uint64(uid), 10)); err == nil {
		n = usr.Username
	}
	(*u)[uid] = n
	return n
}
