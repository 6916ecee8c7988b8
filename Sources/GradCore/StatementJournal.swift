import Foundation

/// Makes statements atomic: while a statement runs, the first in-place write to each
/// tensor memory, and the first change to each tensor's autograd metadata (its `.grad`,
/// `requires_grad`, `grad_fn`, `.data`), optimizer state or module flag, is preceded by a
/// copy of what was there. If the statement fails, is interrupted or times out, the
/// copies are put back; if it completes, they are dropped.
///
/// Statements nest (a loop body inside a loop, a function body inside a call), and each
/// has its own level: a failing statement undoes only its own effects, while an
/// interrupted one undoes everything since the top-level statement began. Nothing is
/// copied for memory or tensors made during the statement itself, and nothing at all
/// when no statement is being journaled (the core used on its own).
package enum StatementJournal {
    /// What one statement changed, with the values from before it began.
    struct Level {
        /// The clock when the level began: objects born later need no copy.
        let start: UInt64
        var memory: [ObjectIdentifier: MemorySnapshot] = [:]
        var tensors: [ObjectIdentifier: TensorSnapshot] = [:]
        var versions: [ObjectIdentifier: (VersionCounter, Int)] = [:]
        var others: [ObjectIdentifier: () -> Void] = [:]

        var isEmpty: Bool { memory.isEmpty && tensors.isEmpty && versions.isEmpty && others.isEmpty }
    }

    @inline(__always) static var state: ThreadState { ThreadState.current }

    static var innermostStart: UInt64 { state.innermostStart }

    @inline(__always) static func tick(_ s: ThreadState = ThreadState.current) -> UInt64 {
        s.clock &+= 1
        return s.clock
    }

    /// Whether a statement is being journaled.
    package static var isActive: Bool { !state.levels.isEmpty }

    /// A statement begins.
    package static func begin() {
        let s = state
        s.levels.append(Level(start: s.clock))
    }

    /// The statement completed: what it saved becomes the enclosing statement's record of
    /// anything that statement had not saved yet (its value then is the same).
    package static func commit() {
        let s = state
        guard let child = s.levels.popLast() else { return }
        guard !child.isEmpty, !s.levels.isEmpty else { return }
        let i = s.levels.count - 1
        for (k, v) in child.memory where s.levels[i].memory[k] == nil && v.storage.birth <= s.levels[i].start {
            s.levels[i].memory[k] = v
        }
        for (k, v) in child.tensors where s.levels[i].tensors[k] == nil && v.tensor.birth <= s.levels[i].start {
            s.levels[i].tensors[k] = v
        }
        for (k, v) in child.versions where s.levels[i].versions[k] == nil { s.levels[i].versions[k] = v }
        for (k, v) in child.others where s.levels[i].others[k] == nil { s.levels[i].others[k] = v }
    }

    /// The statement failed: everything it changed is put back. Returns the tensors whose
    /// memory or metadata was restored, for the message that says what was undone.
    @discardableResult
    package static func rollback() -> [Tensor] {
        guard let level = state.levels.popLast() else { return [] }
        var restored: [Tensor] = []
        for (_, s) in level.tensors where s.restore() {
            restored.append(s.tensor)
        }
        for (_, m) in level.memory where m.restore() {
            restored.append(contentsOf: m.writers)
        }
        for (_, (counter, value)) in level.versions { counter.value = value }
        for (_, undo) in level.others { undo() }
        return restored
    }

    /// Before `tensor`'s memory is written in place (and its version bumped).
    @inline(__always)
    static func willWrite(_ tensor: Tensor) {
        guard tensor.storage.birth <= state.innermostStart else { return }
        recordWrite(tensor)
    }

    private static func recordWrite(_ tensor: Tensor) {
        let s = state
        let i = s.levels.count - 1
        let vid = ObjectIdentifier(tensor.versionCounter)
        if s.levels[i].versions[vid] == nil { s.levels[i].versions[vid] = (tensor.versionCounter, tensor.versionCounter.value) }
        let storage = tensor.storage
        let id = ObjectIdentifier(storage)
        if s.levels[i].memory[id] == nil {
            s.levels[i].memory[id] = MemorySnapshot(storage)
        }
        s.levels[i].memory[id]!.writers.append(tensor)
    }

    /// Before `tensor`'s version goes up without its memory being written (`transpose_`).
    static func willBumpVersion(_ tensor: Tensor) {
        let s = state
        guard tensor.storage.birth <= s.innermostStart else { return }
        let i = s.levels.count - 1
        let vid = ObjectIdentifier(tensor.versionCounter)
        if s.levels[i].versions[vid] == nil { s.levels[i].versions[vid] = (tensor.versionCounter, tensor.versionCounter.value) }
    }

    /// Before `tensor`'s autograd metadata (or the memory it points at, for `.data =`) changes.
    @inline(__always)
    static func willChange(_ tensor: Tensor) {
        guard tensor.birth <= state.innermostStart else { return }
        recordChange(tensor)
    }

    private static func recordChange(_ tensor: Tensor) {
        let s = state
        let i = s.levels.count - 1
        let id = ObjectIdentifier(tensor)
        if s.levels[i].tensors[id] == nil { s.levels[i].tensors[id] = TensorSnapshot(tensor) }
    }

    /// Before some other state changes (optimizer buffers, a module's training flag):
    /// `undo` puts back the value `owner` has now. Only the first call per statement counts.
    package static func willChange(_ owner: AnyObject, undo: @escaping () -> Void) {
        let s = state
        guard !s.levels.isEmpty else { return }
        let i = s.levels.count - 1
        let id = ObjectIdentifier(owner)
        if s.levels[i].others[id] == nil { s.levels[i].others[id] = undo }
    }
}

/// A copy of one storage's bytes.
final class MemorySnapshot {
    let storage: Storage
    private let bytes: UnsafeMutableRawPointer
    /// The tensors written through, for reporting.
    var writers: [Tensor] = []

    init(_ storage: Storage) {
        self.storage = storage
        bytes = UnsafeMutableRawPointer.allocate(byteCount: max(storage.byteCount, 1), alignment: 16)
        bytes.copyMemory(from: storage.raw, byteCount: storage.byteCount)
    }

    /// Puts the bytes back; true if they had changed.
    func restore() -> Bool {
        guard memcmp(storage.raw, bytes, storage.byteCount) != 0 else { return false }
        storage.raw.copyMemory(from: bytes, byteCount: storage.byteCount)
        return true
    }

    deinit { bytes.deallocate() }
}

/// A tensor's mutable autograd metadata and geometry.
struct TensorSnapshot {
    let tensor: Tensor
    let storage: Storage, shape: [Int], strides: [Int], offset: Int
    let versionCounterOverride: VersionCounter?
    let ownRequiresGrad: Bool
    let recordedGradFn: Node?
    let attrVersion: Int
    let grad: Tensor?
    let retainsGrad: Bool
    let isDetached: Bool

    init(_ t: Tensor) {
        tensor = t
        (storage, shape, strides, offset) = (t.storage, t.shape, t.strides, t.offset)
        versionCounterOverride = t.versionCounterOverride
        ownRequiresGrad = t.ownRequiresGrad
        recordedGradFn = t.recordedGradFn
        attrVersion = t.attrVersion
        grad = t.grad
        retainsGrad = t.retainsGrad
        isDetached = t.isDetached
    }

    /// Puts the metadata back; true if any of it had changed.
    func restore() -> Bool {
        let t = tensor
        let changed = t.storage !== storage || t.versionCounterOverride !== versionCounterOverride || t.shape != shape || t.strides != strides || t.offset != offset
            || t.ownRequiresGrad != ownRequiresGrad || t.recordedGradFn !== recordedGradFn || t.grad !== grad
            || t.retainsGrad != retainsGrad || t.isDetached != isDetached
        guard changed else { return false }
        if t.retainsGrad, let node = t.recordedGradFn {
            node.retainedGradTensors.removeAll { $0.tensor === t }
        }
        (t.storage, t.shape, t.strides, t.offset) = (storage, shape, strides, offset)
        t.versionCounterOverride = versionCounterOverride
        t.ownRequiresGrad = ownRequiresGrad
        t.recordedGradFn = recordedGradFn
        t.attrVersion = attrVersion
        t.restoreGrad(grad)
        t.retainsGrad = retainsGrad
        t.isDetached = isDetached
        if retainsGrad, let node = recordedGradFn, !node.retainedGradTensors.contains(where: { $0.tensor === t }) {
            node.retainedGradTensors.append(WeakTensor(tensor: t))
        }
        return true
    }
}
