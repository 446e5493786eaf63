// The project's one JSON value type lives in its own target; AWSCore re-exports it.
@_exported import JSONValues
