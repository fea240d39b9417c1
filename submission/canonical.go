package submission

import "github.com/nhs-jigsaw/jigsaw/internal/jcs"

// Canonicalize returns the RFC 8785 (JCS) canonical form of a JSON document, the exact bytes a
// submission's signature covers. See jcs.Canonicalize for the rules.
func Canonicalize(doc []byte) ([]byte, error) { return jcs.Canonicalize(doc) }
