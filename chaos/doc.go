// Package chaos holds prws' fault-injection tests: kill -9 loops under
// load, a crash between a backend's answer and the cursor save, on-disk
// damage between runs, a full disk (tmpfs and a loop-mounted ext4 image),
// write errors, the disk budget under both --queue-full-policy values,
// failing and hanging backends and hostile input, slow bodies included.
//
// Every scenario counts samples exactly: a recording load generator
// (testenv.Load) keeps each acknowledged (series, timestamp) and recording
// backends (testenv.Backend) keep each delivered one; the two are compared
// sample by sample. The default run
// (go test ./chaos/, make test) is the short version; PRWS_CHAOS=full
// (make chaos) runs the long one. Each scenario adds a row to the table
// TestMain prints, or writes to the file named by PRWS_CHAOS_TABLE.
//
// The package has no non-test code.
package chaos
