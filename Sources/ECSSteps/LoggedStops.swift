/// The stopped tasks one step has already logged: each is logged once. One per task, freed with it.
actor LoggedStops {
    private var seen: Set<String> = []
    func firstTime(_ key: String) -> Bool { seen.insert(key).inserted }
}
