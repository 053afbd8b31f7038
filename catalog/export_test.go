package catalog

// FullRebuild makes in compile and fingerprint every commit from scratch,
// the reference for the incremental path.
func FullRebuild(in *Ingester) { in.fullRebuild = true }

// CachedContracts returns how many compiled versions in keeps.
func CachedContracts(in *Ingester) int {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.contracts == nil {
		return 0
	}
	return in.contracts.len()
}

// LastLoaded returns the catalog in loaded last: what the next commit
// recompiles from.
func LastLoaded(in *Ingester) *Catalog {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.cat
}

// PackedTexts returns how many of h's schema texts are compressed, and how
// many it holds.
func PackedTexts(h *History) (packed, total int) { return packedTexts(h), len(h.schemas) }

// CompileServed makes in's restores compile the served tree even when the
// store holds it compiled.
func CompileServed(in *Ingester) { in.compileServed = true }

// RestoredCompiled reports whether in's catalog is the one built from the
// compiled files the store holds (by its last restore or step).
func RestoredCompiled(in *Ingester) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.stored != nil && in.stored == in.cat
}
