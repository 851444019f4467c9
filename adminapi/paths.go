package adminapi

// Paths of the admin API. The GET endpoints are always served; the POST
// ones change state and answer 403 unless the daemon runs with
// --web.enable-admin-api.
const (
	PathStatus           = "/api/v1/status"
	PathQueues           = "/api/v1/queues"
	PathRing             = "/api/v1/ring"
	PathLimiter          = "/api/v1/limiter"
	PathDeadLetter       = "/api/v1/deadletter"
	PathDeadLetterReplay = "/api/v1/deadletter/replay"
	PathDeadLetterPurge  = "/api/v1/deadletter/purge"
)
