extension MemoryTierShard {
    /// Appends `index` at the most-recently-used end of `queue`.
    mutating func linkAtTail(_ index: Int32, _ queue: NodeQueue) {
        link(index, after: lists[Int(queue.rawValue)].tail, in: queue)
    }

    /// Links `index` right after `anchor` in `queue` (at the head when `anchor` is -1).
    mutating func link(_ index: Int32, after anchor: Int32, in queue: NodeQueue) {
        let q = Int(queue.rawValue)
        let next = anchor >= 0 ? nodes[Int(anchor)].next : lists[q].head
        nodes[Int(index)].prev = anchor
        nodes[Int(index)].next = next
        nodes[Int(index)].queue = queue
        if anchor >= 0 { nodes[Int(anchor)].next = index } else { lists[q].head = index }
        if next >= 0 { nodes[Int(next)].prev = index } else { lists[q].tail = index }
        lists[q].count += 1
        lists[q].weight += weight(of: index)
    }

    /// Takes `index` off whatever list it is on.
    mutating func unlink(_ index: Int32) {
        let q = Int(nodes[Int(index)].queue.rawValue)
        let prev = nodes[Int(index)].prev
        let next = nodes[Int(index)].next
        if prev >= 0 { nodes[Int(prev)].next = next } else { lists[q].head = next }
        if next >= 0 { nodes[Int(next)].prev = prev } else { lists[q].tail = prev }
        nodes[Int(index)].prev = -1
        nodes[Int(index)].next = -1
        lists[q].count -= 1
        lists[q].weight -= weight(of: index)
    }

    /// Moves `index` to the most-recently-used end of its own list.
    mutating func moveToTail(_ index: Int32) {
        let queue = nodes[Int(index)].queue
        guard lists[Int(queue.rawValue)].tail != index else { return }
        unlink(index)
        linkAtTail(index, queue)
    }

    /// Moves `index` to the most-recently-used end of `queue`.
    mutating func move(_ index: Int32, to queue: NodeQueue) {
        unlink(index)
        linkAtTail(index, queue)
    }

    func head(_ queue: NodeQueue) -> Int32 { lists[Int(queue.rawValue)].head }
    func weight(_ queue: NodeQueue) -> Int { lists[Int(queue.rawValue)].weight }
}
