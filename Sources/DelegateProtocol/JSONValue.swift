// The project's one JSON value type lives in its own target; the protocol re-exports it.
@_exported import JSONValues
