package lint

// SetPlainBase makes the base share nothing with the working tree (no
// bytes, no descriptors) until restore is called. Tests calling it must
// not run in parallel.
func SetPlainBase(on bool) (restore func()) {
	old := plainBase
	plainBase = on
	return func() { plainBase = old }
}
