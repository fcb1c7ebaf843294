//go:build !amd64

package kernels

// simdBackends returns no backends: assembly kernels exist only for amd64.
func simdBackends() []Backend { return nil }
