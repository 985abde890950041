// Package banner grabs what a TCP service says first, names the product,
// version and OS family the greeting states, and sums up what an attacker
// learns from it.
//
// A grab is short and read-only: it connects, reads, and only if nothing
// arrived sends one bare "\r\n" (never a request, a command or a login)
// and reads again. It then resets the connection (SO_LINGER 0), so no
// TIME_WAIT is left behind. Identify and Summarize state only what the
// banners say; what they do not say stays empty.
package banner
