// The DevToken library: for now the uniffi-generated API (module DevTokenUniFFI) as it is.
@_exported import DevTokenUniFFI
