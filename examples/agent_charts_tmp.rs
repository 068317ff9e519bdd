fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).unwrap());
    let out = dir.join("agent-charts");
    for c in goodhart::charts::agents::agent_charts(&dir).unwrap() {
        let f = goodhart::charts::render(&c, &out, goodhart::charts::Format::Both).unwrap();
        println!("{f:?}");
    }
}
