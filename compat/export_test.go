package compat

// SetChunkFiles sets how many files a chunk of a large compilation holds
// (chunked.go) and returns a function restoring the previous size. Tests
// calling it must not run in parallel.
func SetChunkFiles(n int) (restore func()) {
	old := chunkFiles
	chunkFiles = n
	return func() { chunkFiles = old }
}
