//go:build !unix

package evidence

// processAlive cannot tell on this platform, so a lease is only taken over once it lapses.
func processAlive(int) bool { return true }
