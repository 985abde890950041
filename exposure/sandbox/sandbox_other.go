//go:build !linux

package sandbox

import (
	"context"
	"io"
	"net/netip"
	"time"

	"github.com/perimeter-dev/perimeter/exposure/probe"
)

type labSys struct{}

// New needs Linux network namespaces.
func New(ctx context.Context, cfg Config) (*Lab, error) { return nil, ErrUnsupported }

// Sweep needs Linux network namespaces.
func Sweep(ctx context.Context) ([]string, error) { return nil, ErrUnsupported }

// Close does nothing here.
func (l *Lab) Close() error { return nil }

// Run needs Linux network namespaces.
func (l *Lab) Run(ctx context.Context, ns string, stdin io.Reader, name string, args ...string) ([]byte, error) {
	return nil, ErrUnsupported
}

// LoadIPTables needs Linux network namespaces.
func (l *Lab) LoadIPTables(ctx context.Context, v6, legacy, noflush bool, rules io.Reader) error {
	return ErrUnsupported
}

// LoadNft needs Linux network namespaces.
func (l *Lab) LoadNft(ctx context.Context, text io.Reader) error { return ErrUnsupported }

// LoadNftJSON needs Linux network namespaces.
func (l *Lab) LoadNftJSON(ctx context.Context, json io.Reader) error { return ErrUnsupported }

// LoadIPSet needs Linux network namespaces.
func (l *Lab) LoadIPSet(ctx context.Context, r io.Reader) error { return ErrUnsupported }

// Do needs Linux network namespaces.
func (l *Lab) Do(ns string, fn func() error) error { return ErrUnsupported }

// Listen needs Linux network namespaces.
func (l *Lab) Listen(proto string, ports []uint16) error { return ErrUnsupported }

// StopListening does nothing here.
func (l *Lab) StopListening(proto string, ports []uint16) {}

// ListenIn is only implemented on Linux.
func (l *Lab) ListenIn(ns, proto string, ports []uint16) error { return ErrUnsupported }

// StopListeningIn is only implemented on Linux.
func (l *Lab) StopListeningIn(ns, proto string, ports []uint16) {}

// ProbeFromPort needs Linux network namespaces: every Result is Unknown.
func (l *Lab) ProbeFromPort(ctx context.Context, v6 bool, proto string, src netip.Addr, sport uint16, dst netip.Addr, ports []uint16, timeout time.Duration) []Result {
	return l.Probe(ctx, v6, proto, src, dst, ports, timeout)
}

// ProbeOnce needs Linux network namespaces: the Result is Unknown.
func (l *Lab) ProbeOnce(ctx context.Context, v6 bool, proto string, src, dst netip.Addr, port uint16, timeout time.Duration) Result {
	return l.Probe(ctx, v6, proto, src, dst, []uint16{port}, timeout)[0]
}

// Probe needs Linux network namespaces: every Result is Unknown.
func (l *Lab) Probe(ctx context.Context, v6 bool, proto string, src, dst netip.Addr, ports []uint16, timeout time.Duration) []Result {
	res := make([]Result, len(ports))
	for i, p := range ports {
		res[i] = Result{Port: p, State: probe.Unknown, Reason: probe.ReasonLocalError, Err: ErrUnsupported}
	}
	return res
}
