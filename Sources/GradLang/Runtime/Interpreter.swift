import Foundation
import Synchronization
import GradCore

/// What running code produces, in order: displayed results, printed text, errors.
package enum SessionEvent {
    /// A displayed result; `target` is the assigned name, nil for an expression statement.
    case result(line: Int, target: String?, value: Value)
    case printed(line: Int, text: String)
    /// `line` is the displayed statement's line; the error's own location may be deeper.
    case error(line: Int, GradError)
    /// A `:command` met in the input, for the shell to carry out.
    case command(line: Int, text: String)
    /// A warning PyTorch would print (`UserWarning: ...`), once per statement.
    case warning(line: Int, text: String)
}

/// glibc's `pthread_getattr_np` (a GNU extension the Glibc module does not expose).
@_silgen_name("pthread_getattr_np")
private func threadAttributes(_ thread: pthread_t, _ attributes: UnsafeMutablePointer<pthread_attr_t>) -> Int32

/// Runs a body on a fresh POSIX thread with a large stack (deeply nested programs need one)
/// and waits for it: the body runs while the caller waits, so nothing is shared between two
/// running threads. The closure reaches the new thread through pthread_create's C context
/// pointer.
package enum LargeStack {
    private final class Work {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    package static func run(bytes: Int = 512 << 20, _ body: @escaping () -> Void) {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, bytes)
        var thread = pthread_t()
        let context = Unmanaged.passRetained(Work(body)).toOpaque()
        let started = pthread_create(&thread, &attributes, { context in
            Unmanaged<Work>.fromOpaque(context!).takeRetainedValue().body()
            return nil
        }, context)
        guard started == 0 else {
            // No thread with a large stack: run here, on the stack there is (StackGuard
            // still turns deep recursion into RecursionError).
            return Unmanaged<Work>.fromOpaque(context).takeRetainedValue().body()
        }
        pthread_join(thread, nil)
    }
}

/// Keeps deep recursion from overflowing whatever stack the interpreter runs on: a call is
/// refused with RecursionError when less than a safety margin of the thread's stack is left.
enum StackGuard {
    static let margin = 512 << 10

    /// The lowest usable address of the calling thread's stack.
    static func lowestAddress() -> UInt {
        var attributes = pthread_attr_t()
        guard threadAttributes(pthread_self(), &attributes) == 0 else { return 0 }
        defer { pthread_attr_destroy(&attributes) }
        var address: UnsafeMutableRawPointer?
        var size = 0
        guard pthread_attr_getstack(&attributes, &address, &size) == 0, let address else { return 0 }
        return UInt(bitPattern: address)
    }

    static func check() throws {
        let low = lowestAddress()
        guard low != 0 else { return }
        var marker = 0
        let here = withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
        if here < low + UInt(margin) {
            throw GradError("RecursionError", "maximum recursion depth exceeded (the stack is nearly full)")
        }
    }
}

/// The tree-walking evaluator. It never prints: displayed results, prints and errors go
/// to `emit`, and the shell renders them.
package final class Interpreter {
    package let globals = Scope(parent: nil)
    var emit: (SessionEvent) -> Void = { _ in }
    /// The line of the statement whose result would be displayed: where events are reported.
    var displayLine = 1
    private var callDepth = 0
    /// Nesting of container comparisons (`==` on lists that contain themselves).
    var comparisonDepth = 0
    /// Nested calls allowed before a RecursionError (lower under the fuzzer's small stack).
    package var maxCallDepth = 1000
    /// The line of the statement being executed, at any depth: where new tensors are made.
    package private(set) var currentLine = 1 {
        didSet { GradModeState.line = currentLine }
    }

    package init() {
        // A new program prints tensors PyTorch's default way until it says otherwise.
        PrintOptions.current = .standard
        // Objects whose class defines __repr__ or __str__ are shown by calling it.
        Repr.showObject = { [weak self] object, asString in
            guard let self, case .instance(let instance) = object else { return nil }
            let method = asString ? (instance.cls.lookup("__str__") ?? instance.cls.lookup("__repr__")) : instance.cls.lookup("__repr__")
            guard case .function(let f)? = method else { return nil }
            let result = try self.callFunction(f, [object], [])
            guard case .str(let text) = result else {
                throw GradError.type("\(asString ? "__str__" : "__repr__") returned non-string (type \(result.typeName))")
            }
            return text
        }
    }

    /// Forgets every variable (`:reset`), and frees what functions kept alive: a function
    /// refers to the scope it was defined in, which refers back to the function, so those
    /// scopes are emptied too.
    package func reset() {
        var scopes: [Scope] = [globals]
        var seen = Set<ObjectIdentifier>()
        var index = 0
        func visit(_ v: Value) {
            switch v {
            case .function(let f):
                if seen.insert(ObjectIdentifier(f.closure)).inserted { scopes.append(f.closure) }
            case .list(let l):
                if seen.insert(ObjectIdentifier(l)).inserted { l.items.forEach(visit) }
            case .tuple(let items): items.forEach(visit)
            default: break
            }
        }
        while index < scopes.count {
            scopes[index].variables.values.forEach(visit)
            index += 1
        }
        for scope in scopes { scope.variables.removeAll() }
        lostGradRebindings = [:]
    }

    /// Runs `body` and then puts back everything it changed: variables, tensor memory,
    /// gradients, optimizer state and the random generator (`:time`, `:compare`).
    package func leavingNoTrace<R>(_ body: () throws -> R) rethrows -> R {
        let bindings = globals.variables
        let generator = DefaultGenerator.shared
        StatementJournal.begin()
        defer {
            StatementJournal.rollback()
            globals.variables = bindings
            DefaultGenerator.shared = generator
        }
        return try body()
    }

    /// Evaluates one expression in the global scope, displaying nothing.
    package func evaluate(_ expr: Expr) throws -> Value {
        try evaluate(expr, in: globals)
    }

    // MARK: statements

    /// Runs top-level statements; each failing statement reports an error and the rest run.
    package func run(_ program: [Stmt], emit: @escaping (SessionEvent) -> Void) {
        self.emit = emit
        defer { self.emit = { _ in } }
        for stmt in program {
            // Ctrl-C undoes the interrupted statement's bindings; other errors keep what
            // completed before them, as Python does.
            let bindings = globals.variables
            failureHandled = false
            undoneTensors = []
            warnedThisStatement = []
            if let limit = statementTimeLimit { Watchdog.arm(seconds: limit) }
            defer {
                Watchdog.disarm()
                // A timeout that fired as the statement ended is for nobody.
                Interruption.clearTimeout()
            }
            do {
                try execute(stmt, display: true, in: globals)
            } catch var e as GradError {
                if e.type == "KeyboardInterrupt" || e.type == "TimeoutError" {
                    globals.variables = bindings
                    e.location = stmt.location
                    e.message += " (its assignments" + (undoneTensorsPhrase().map { " and its changes to \($0)" } ?? "") + ")"
                } else if let changed = undoneTensorsPhrase() {
                    e.note = "the statement's changes to \(changed) were undone"
                }
                if e.hint == nil { e.hint = Hints.hint(for: e, statement: stmt, interpreter: self) }
                emit(.error(line: displayLine, e))
            } catch let e as ReturnSignal {
                _ = e
                emit(.error(line: stmt.location.line, GradError.syntax("'return' outside function", at: stmt.location)))
            } catch {
                emit(.error(line: displayLine, GradError.runtime("\(error)")))
            }
        }
    }

    /// `return`, `break` and `continue` unwind as errors to the call or loop they belong to.
    protocol ControlSignal: Error {}
    /// Unwinds a function body to its call; the value waits in `returnedValue` (an error
    /// must be Sendable, and values are not).
    struct ReturnSignal: ControlSignal {}
    struct BreakSignal: ControlSignal {}
    struct ContinueSignal: ControlSignal {}
    private var returnedValue: Value = .none
    /// The class and object of each method call running, innermost last (for `super()`).
    var methodFrames: [(cls: ClassValue, object: Value)] = []

    /// The variables whose tensors had in-place changes undone, by name.
    private func undoneNames() -> [String] {
        let storages = Set(undoneTensors.map { ObjectIdentifier($0.storage) })
        let tensors = Set(undoneTensors.map { ObjectIdentifier($0) })
        guard !tensors.isEmpty else { return [] }
        func touched(_ t: Tensor) -> Bool {
            tensors.contains(ObjectIdentifier(t)) || storages.contains(ObjectIdentifier(t.storage))
        }
        return globals.variables.flatMap { name, value -> [String] in
            guard case .tensor(let t) = value else { return [] }
            if touched(t) { return [name] }
            if let g = t.grad, touched(g) { return [name + ".grad"] }
            return []
        }.sorted()
    }

    /// The tensors the failed statement's rollback put back, by variable name ("w, x.grad"),
    /// "tensors" when none is a variable, nil when nothing was put back.
    private func undoneTensorsPhrase() -> String? {
        let names = undoneNames()
        if names.isEmpty { return undoneTensors.isEmpty ? nil : "tensors" }
        return names.joined(separator: ", ")
    }

    /// `--timeout`: the longest a top-level statement may run, in seconds (nil: no limit).
    package var statementTimeLimit: Double?

    func checkInterrupt() throws {
        if let reason = Interruption.take() { throw interruptionError(reason) }
    }

    /// The error a pending Ctrl-C or timeout becomes (Ctrl-C when the request was taken).
    func interruptionError(_ reason: Interruption.Reason?) -> GradError {
        var e = reason == .timeout
            ? GradError("TimeoutError", "the statement ran longer than the \(Repr.pythonFloat(statementTimeLimit ?? 0)) s allowed by --timeout; it was undone")
            : GradError("KeyboardInterrupt", "interrupted; the statement was undone")
        e.isInterruption = true
        return e
    }

    /// Set once the innermost failing statement has put back what it changed, so the
    /// statements around it do not undo work that completed before it.
    private var failureHandled = false

    func execute(_ stmt: Stmt, display: Bool, in scope: Scope) throws {
        if display { displayLine = stmt.location.line }
        if stmt.hidesDisplay && !resultsHidden {
            resultsHidden = true
            defer { resultsHidden = false }
            return try execute(stmt, display: display, in: scope)
        }
        currentLine = stmt.location.line
        guard display else {
            try checkInterrupt()
            return try executeUnguarded(stmt, display: display, in: scope)
        }
        // A failed statement (one at top level or in a mode block: what the session shows
        // as a unit) leaves no trace of its own: no in-place writes, no changed .grad or
        // optimizer state, not even random numbers drawn, by it, its loop iterations or the
        // functions it called. An interrupted one undoes everything up to the top level.
        // Only the tensors it writes are copied, once each, however long it runs.
        let generator = DefaultGenerator.shared
        StatementJournal.begin()
        do {
            try checkInterrupt()
            try executeUnguarded(stmt, display: display, in: scope)
            StatementJournal.commit()
        } catch let signal as ControlSignal {
            StatementJournal.commit()
            throw signal
        } catch {
            let interrupted = (error as? GradError).map { $0.type == "KeyboardInterrupt" || $0.type == "TimeoutError" } ?? false
            if interrupted || !failureHandled {
                failureHandled = true
                undoneTensors.append(contentsOf: StatementJournal.rollback())
                DefaultGenerator.shared = generator
            } else {
                StatementJournal.commit()
            }
            throw error
        }
    }

    /// PyTorch's warning on reading `.grad` of a tensor that is not a leaf.
    static let nonLeafGradWarning = "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't be populated during autograd.backward(). If you indeed want the .grad field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 for more information."

    // MARK: exercises

    /// An exercise where nobody answers (a script, a handout, the tests): its checks must
    /// fail first (else they check nothing), then its solution runs, shown like a block's
    /// statements, and its checks must pass.
    private func runExercise(_ exercise: Exercise, display: Bool, in scope: Scope) throws {
        emit(.printed(line: displayLine, text: "exercise: \(exercise.title)"))
        if failedChecks(exercise, in: scope).isEmpty {
            throw GradError("ExerciseError", "the checks of this exercise pass before its solution runs, so they check nothing",
                            hint: "an exercise's asserts should fail until the task is done")
        }
        let line = displayLine
        for s in exercise.solution { try execute(s, display: display, in: scope) }
        displayLine = line
        let failed = failedChecks(exercise, in: scope)
        if let first = failed.first {
            throw GradError("AssertionError", "the solution does not pass its own check: \(first)")
        }
        emit(.printed(line: displayLine, text: "solved: \(Self.checkCount(exercise))"))
    }

    package static func checkCount(_ exercise: Exercise) -> String {
        exercise.checks.count == 1 ? "its check passes" : "all \(exercise.checks.count) checks pass"
    }

    /// What is still wrong: the message of every check that fails now (an error while
    /// checking, such as a name not yet defined, counts as a failure and says so), each
    /// check run so that it leaves no trace.
    package func failedChecks(_ exercise: Exercise, in scope: Scope? = nil) -> [String] {
        exercise.checks.compactMap { check in
            guard case .assertStmt(let condition, let message) = check.kind else { return nil }
            do {
                return try leavingNoTrace {
                    if try evaluate(condition, in: scope ?? globals).truth() { return nil }
                    return try message.map { try Repr.str(evaluate($0, in: scope ?? globals)) } ?? "a check fails"
                }
            } catch let e as GradError {
                return "\(e.type): \(e.message)"
            } catch {
                return "\(error)"
            }
        }
    }

    /// Runs an exercise's solution (a learner asked for it), showing its results.
    package func runSolution(_ exercise: Exercise, emit: @escaping (SessionEvent) -> Void) {
        run(exercise.solution, emit: emit)
    }

    /// Inside a statement whose line ended in `;`: its results are not shown.
    private var resultsHidden = false

    /// Shows a result of a displayed statement, unless its line ended in `;`.
    private func emitResult(line: Int, target: String?, value: Value) {
        if !resultsHidden { emit(.result(line: line, target: target, value: value)) }
    }

    /// Warnings already shown for the running top-level statement.
    private var warnedThisStatement: Set<String> = []

    func warnOnce(_ text: String) {
        guard warnedThisStatement.insert(text).inserted else { return }
        emit(.warning(line: displayLine, text: text))
    }

    /// Tensors whose in-place changes the failing top-level statement undid, for its message.
    private var undoneTensors: [Tensor] = []

    /// Every error leaves with a location: the innermost expression's, else the statement's.
    private func executeUnguarded(_ stmt: Stmt, display: Bool, in scope: Scope) throws {
        try located(stmt.location) { try executeUnlocated(stmt, display: display, in: scope) }
    }

    private func executeUnlocated(_ stmt: Stmt, display: Bool, in scope: Scope) throws {
        switch stmt.kind {
        case .expression(let e):
            let v = try evaluate(e, in: scope)
            if display, !v.isNone { emitResult(line: stmt.location.line, target: nil, value: v) }
        case .assign(let targets, let valueExpr):
            let value = try evaluate(valueExpr, in: scope)
            for t in targets {
                let bound = try assign(t, value, in: scope)
                if display { for (name, v) in bound { emitResult(line: stmt.location.line, target: name, value: v) } }
            }
        case .augmentedAssign(let target, let op, let valueExpr):
            let result = try augmented(target, op, valueExpr, in: scope)
            if display, case .name(let n, _) = target { emitResult(line: stmt.location.line, target: n, value: result) }
        case .modeBlock(let head, let body):
            let change = try modeChange(head, in: scope)
            try withMode(change, scope: head.spelling ?? change.blockName) {
                for s in body { try execute(s, display: display, in: scope) }
            }
        case .withValue(let valueExpr, let spelling, let body):
            let value = try evaluate(valueExpr, in: scope)
            guard case .gradModeObject(let change, _) = value else {
                throw GradError.type("'\(value.typeName)' object does not support the context manager protocol").located(valueExpr.location)
            }
            try withMode(change, scope: "with " + spelling) {
                for s in body { try execute(s, display: display, in: scope) }
            }
        case .whileLoop(let condition, let body, let orElse):
            while try evaluate(condition, in: scope).truth() {
                try checkInterrupt()
                guard try runLoopBody(body, in: scope) else { return }
            }
            for s in orElse { try execute(s, display: false, in: scope) }
        case .exercise(let exercise):
            try runExercise(exercise, display: display, in: scope)
        case .exerciseHint, .exerciseSolution:
            throw GradError.syntax("hint and solution belong inside an exercise < ... >", at: stmt.location)
        case .assertStmt(let condition, let message):
            if !(try evaluate(condition, in: scope).truth()) {
                throw GradError("AssertionError", try message.map { try Repr.str(evaluate($0, in: scope)) } ?? "")
            }
        case .raise(let valueExpr):
            guard let valueExpr else {
                guard let current = handledErrors.last else { throw GradError.runtime("No active exception to reraise") }
                throw current
            }
            var e = try Exceptions.raised(try evaluate(valueExpr, in: scope))
            e.location = valueExpr.location
            throw e
        case .tryStmt(let body, let handlers, let orElse, let finally):
            try runTry(body, handlers, orElse, finally, in: scope)
        case .delete(let targets):
            for t in targets { try delete(t, in: scope) }
        case .declare(let names, let isGlobal):
            for n in names {
                if isGlobal {
                    scope.redirects[n] = globals
                } else {
                    // The nearest enclosing function's scope that binds it (not the globals).
                    var s = scope.parent
                    while let candidate = s, candidate !== globals, candidate.variables[n] == nil { s = candidate.parent }
                    guard let owner = s, owner !== globals else {
                        throw GradError.syntax("no binding for nonlocal '\(n)' found", at: stmt.location)
                    }
                    scope.redirects[n] = owner
                }
            }
        case .breakStmt: throw BreakSignal()
        case .continueStmt: throw ContinueSignal()
        case .pass: break
        case .importNames(let bindings):
            // Everything is resolved before anything is bound, so a failed import binds nothing.
            let values = try bindings.map { b in try located(b.location) { try Modules.importValue(b) } }
            for (b, v) in zip(bindings, values) { _ = try assign(.name(b.name, b.location), v, in: scope) }
        case .classDef(let def):
            let cls = try makeClass(def, in: scope)
            scope.target(for: def.name).variables[def.name] = .classObject(cls)
        case .functionDef(let def):
            let defaults = try def.parameters.map { p in try p.defaultValue.map { try evaluate($0, in: scope) } }
            let modes = try def.decorators.map { try modeChange($0, in: scope) }
            scope.target(for: def.name).variables[def.name] = .function(Function(definition: def, defaults: defaults, closure: scope, modes: modes))
        case .forLoop(let target, let iterableExpr, let body, let orElse):
            let iterable = try evaluate(iterableExpr, in: scope)
            // Errors of the iteration itself (not iterable, a 0-d tensor) point at the iterable.
            do {
                try located(iterableExpr.location) {
                    try forEachItem(of: iterable) { item in
                        try checkInterrupt()
                        _ = try assign(target, item, in: scope)
                        // Iteration stops only by throwing: `break` leaves as the signal.
                        guard try runLoopBody(body, in: scope) else { throw BreakSignal() }
                    }
                }
            } catch is BreakSignal {
                return
            }
            for s in orElse { try execute(s, display: false, in: scope) }
        case .ifElse(let cond, let body, let elseBody):
            if try evaluate(cond, in: scope).truth() {
                for s in body { try execute(s, display: false, in: scope) }
            } else if let elseBody {
                for s in elseBody { try execute(s, display: false, in: scope) }
            }
        case .returnStmt(let e):
            returnedValue = try e.map { try evaluate($0, in: scope) } ?? .none
            throw ReturnSignal()
        case .colonCommand(let text):
            emit(.command(line: stmt.location.line, text: text))
        }
    }

    /// A mode block or a decorated call: `body` runs under `change` in a scope named
    /// `scope` that tensors made there remember. Blocks and decorators both come here.
    func withMode<R>(_ change: GradModeChange, scope: String, _ body: () throws -> R) rethrows -> R {
        try GradModeState.withScope(change, named: scope, body)
    }

    func modeChange(_ head: ModeHead, in scope: Scope) throws -> GradModeChange {
        let argument = try head.argument.map { try evaluate($0, in: scope).asBool("mode") }
        switch head.kind {
        case .noGrad: return .noGrad
        case .enableGrad: return .enableGrad
        case .inference: return .inference(argument ?? true)
        case .setGradEnabled: return .setGradEnabled(argument ?? true)
        }
    }

    /// Binds `value` to `target`; returns the names bound, for display. Everything is
    /// unpacked and checked before anything is bound, so a failure binds nothing.
    func assign(_ target: Target, _ value: Value, in scope: Scope) throws -> [(String, Value)] {
        if case .name(let n, _) = target {
            noteRebinding(n, value, in: scope)
            scope.target(for: n).variables[n] = value
            return [(n, value)]
        }
        var plan: [(Target, Value)] = []
        try planAssignment(target, value, into: &plan)
        var bound: [(String, Value)] = []
        for (t, v) in plan {
            switch t {
            case .name(let n, _):
                bound.append((n, v))
            case .subscript(let baseExpr, let items, let loc):
                let base = try evaluate(baseExpr, in: scope)
                try located(loc) { try setItem(base, items, v, in: scope) }
            case .attribute(let baseExpr, let name, let loc):
                let base = try evaluate(baseExpr, in: scope)
                try located(loc) { try setAttribute(base, name, v) }
            case .tuple, .starred: break
            }
        }
        for (n, v) in bound {
            noteRebinding(n, v, in: scope)
            scope.target(for: n).variables[n] = v
        }
        return bound
    }

    /// A global name that held a tensor requiring grad and now holds one that does not
    /// (`no_grad < w = w - lr * w.grad >`): where and how it happened, so the error on a later
    /// backward() can say so.
    struct Rebinding {
        let line: Int
        let blocks: [String]
    }
    private(set) var lostGradRebindings: [String: Rebinding] = [:]

    private func noteRebinding(_ name: String, _ value: Value, in scope: Scope) {
        guard scope === globals else { return }
        if case .tensor(let new) = value, !new.requiresGrad {
            if case .tensor(let old)? = scope.variables[name], old.requiresGrad {
                lostGradRebindings[name] = Rebinding(line: currentLine, blocks: GradModeState.openScopes)
            }
        } else if !lostGradRebindings.isEmpty {
            lostGradRebindings[name] = nil
        }
    }

    private func planAssignment(_ target: Target, _ value: Value, into plan: inout [(Target, Value)]) throws {
        guard case .tuple(let targets, let loc) = target else {
            plan.append((target, value))
            return
        }
        if let star = targets.firstIndex(where: { if case .starred = $0 { return true } else { return false } }) {
            // `a, *rest, z = xs`: the starred target takes what the others leave, as a list.
            var all: [Value] = []
            try located(loc) { try forEachItem(of: value, collecting: true) { all.append($0) } }
            let after = targets.count - star - 1
            guard all.count >= targets.count - 1 else {
                throw GradError.value("not enough values to unpack (expected at least \(targets.count - 1), got \(all.count))").located(loc)
            }
            for i in 0..<star { try planAssignment(targets[i], all[i], into: &plan) }
            guard case .starred(let inner, _) = targets[star] else { return }
            try planAssignment(inner, .list(ListStorage(Array(all[star..<(all.count - after)]))), into: &plan)
            for i in 0..<after { try planAssignment(targets[star + 1 + i], all[all.count - after + i], into: &plan) }
            return
        }
        let items = try located(loc) { try unpack(value, count: targets.count) }
        for (t, v) in zip(targets, items) { try planAssignment(t, v, into: &plan) }
    }

    /// Python's sequence unpacking; a tensor unpacks along its first dimension.
    func unpack(_ value: Value, count: Int) throws -> [Value] {
        var items: [Value] = []
        switch value {
        case .tuple(let xs): items = xs.items
        case .list(let l): items = l.items
        case .tensor(let t):
            guard t.rank > 0 else { throw GradError.type("iteration over a 0-d tensor") }
            if t.shape[0] != count { break }
            items = try (0..<t.shape[0]).map { .tensor(try t.select(dim: 0, index: $0)) }
        case .range(let start, let stop, let step):
            // Counted, not listed: `a, b = range(10**18)` fails at once.
            let n = Builtins.rangeLength(start, stop, step) ?? .max
            if n > Int64(count) { throw GradError.value("too many values to unpack (expected \(count))") }
            try forEachItem(of: value) { items.append($0) }
        case .str, .loader, .dataset:
            try forEachItem(of: value) { items.append($0) }
        default:
            throw GradError.type("cannot unpack non-iterable \(value.typeName) object")
        }
        let n: Int
        if case .tensor(let t) = value { n = t.shape[0] } else { n = items.count }
        if n > count { throw GradError.value("too many values to unpack (expected \(count))") }
        if n < count { throw GradError.value("not enough values to unpack (expected \(count), got \(n))") }
        return items
    }

    private func augmented(_ target: Target, _ op: String, _ valueExpr: Expr, in scope: Scope) throws -> Value {
        let binaryOp = String(op.dropLast())
        switch target {
        case .starred(_, let loc):
            throw GradError.syntax("'starred' is an illegal expression for augmented assignment", at: loc)
        case .name(let n, let loc):
            try located(loc) { try scope.checkBound(n) }
            guard let current = scope.lookup(n) else { throw GradError.name(n).located(loc) }
            let rhs = try evaluate(valueExpr, in: scope)
            let result = try located(valueExpr.location) { try inPlaceOrBinary(binaryOp, current, rhs) }
            scope.target(for: n).variables[n] = result
            return result
        case .subscript(let baseExpr, let items, let loc):
            let base = try evaluate(baseExpr, in: scope)
            let current = try located(loc) { try getItem(base, items, in: scope) }
            let rhs = try evaluate(valueExpr, in: scope)
            let result = try located(loc) { try inPlaceOrBinary(binaryOp, current, rhs) }
            try located(loc) { try setItem(base, items, result, in: scope) }
            return result
        case .attribute(let baseExpr, let name, let loc):
            let base = try evaluate(baseExpr, in: scope)
            let current = try located(loc) { try getAttribute(base, name) }
            let rhs = try evaluate(valueExpr, in: scope)
            let result = try located(loc) { try inPlaceOrBinary(binaryOp, current, rhs) }
            try located(loc) { try setAttribute(base, name, result) }
            return result
        case .tuple(_, let loc):
            throw GradError.syntax("'tuple' is an illegal expression for augmented assignment", at: loc)
        }
    }

    /// `x += v` changes a tensor in place (as PyTorch does); other values are rebound.
    private func inPlaceOrBinary(_ op: String, _ current: Value, _ rhs: Value) throws -> Value {
        if case .tensor(let t) = current {
            let other = try operandTensor(rhs, op: op, left: current)
            switch op {
            case "+": return .tensor(try t.addInPlace(other))
            case "-": return .tensor(try t.subInPlace(other))
            case "*": return .tensor(try t.mulInPlace(other))
            case "/": return .tensor(try t.divInPlace(other))
            default: break
            }
        }
        if case .list(let l) = current, op == "+" {
            let extra = try rhs.asSequence("can only concatenate list")
            l.willMutate()
            l.items += extra
            return current
        }
        return try binary(op, current, rhs)
    }

    // MARK: expressions

    /// Runs `body`, attaching `loc` to any error that has no location yet.
    func located<T>(_ loc: SourceLocation, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let e as TensorError {
            throw GradError(e.kind.rawValue, e.message, at: loc)
        } catch let e as GradError {
            throw e.located(loc)
        } catch is Interrupted {
            throw interruptionError(Interruption.take()).located(loc)
        }
    }

    func evaluate(_ expr: Expr, in scope: Scope) throws -> Value {
        try located(expr.location) { try evaluateUnlocated(expr, in: scope) }
    }

    private func evaluateUnlocated(_ expr: Expr, in scope: Scope) throws -> Value {
        switch expr.kind {
        case .intLiteral(let i): return .int(i)
        case .floatLiteral(let d): return .float(d)
        case .stringLiteral(let s): return .str(s)
        case .boolLiteral(let b): return .bool(b)
        case .noneLiteral: return .none
        case .name(let n):
            try scope.checkBound(n)
            if let v = scope.lookup(n) { return v }
            if let v = Builtins.lookup(n) { return v }
            throw GradError.name(n)
        case .tuple(let items): return .tuple(TupleStorage(try spread(items, in: scope)))
        case .list(let items): return .list(ListStorage(try spread(items, in: scope)))
        case .starred:
            throw GradError.syntax("can't use starred expression here", at: expr.location)
        case .unary(let op, let e):
            return try unary(op, try evaluate(e, in: scope))
        case .binary(let op, let a, let b):
            let l = try evaluate(a, in: scope)
            // A number literal next to a tensor becomes one shared 0-d tensor, made once.
            if case .tensor(let t) = l, let constant = b.constantTensor {
                return try binary(op, .tensor(t), .tensor(constant))
            }
            let r = try evaluate(b, in: scope)
            return try binary(op, l, r)
        case .comparison(let operands, let ops):
            var left = try evaluate(operands[0], in: scope)
            var result: Value = .bool(true)
            for (i, op) in ops.enumerated() {
                let right = try evaluate(operands[i + 1], in: scope)
                result = try compare(op, left, right)
                if ops.count > 1, !(try result.truth()) { return result }
                left = right
            }
            return result
        case .logicalAnd(let a, let b):
            let l = try evaluate(a, in: scope)
            return try l.truth() ? try evaluate(b, in: scope) : l
        case .logicalOr(let a, let b):
            let l = try evaluate(a, in: scope)
            return try l.truth() ? l : try evaluate(b, in: scope)
        case .logicalNot(let e):
            return .bool(!(try evaluate(e, in: scope).truth()))
        case .conditional(let value, let cond, let other):
            return try evaluate(cond, in: scope).truth() ? try evaluate(value, in: scope) : try evaluate(other, in: scope)
        case .dict(let pairs):
            let d = DictStorage()
            for (k, v) in pairs {
                let key = try evaluate(k, in: scope)
                try d.set(key, try evaluate(v, in: scope))
            }
            return .dict(d)
        case .comprehension(let element, let value, let clauses):
            return try comprehension(element, value, clauses, in: scope)
        case .lambda(let def):
            let defaults = try def.parameters.map { p in try p.defaultValue.map { try evaluate($0, in: scope) } }
            return .function(Function(definition: def, defaults: defaults, closure: scope, modes: []))
        case .formatted(let parts):
            var text = ""
            for part in parts {
                switch part {
                case .text(let s): text += s
                case .field(let e, let conversion, let spec):
                    var v = try evaluate(e, in: scope)
                    if conversion == "r" || conversion == "a" { v = .str(try Repr.repr(v)) }
                    if conversion == "s" { v = .str(try Repr.str(v)) }
                    text += try located(e.location) { try FormatSpec.format(v, spec) }
                }
                try Interpreter.checkSequence(Int64(text.utf8.count), bytesPerItem: 1)
            }
            return .str(text)
        case .call(let fnExpr, let args):
            // x.method(...) on a tensor goes straight to the method: no bound-method value.
            if case .attribute(let baseExpr, let name) = fnExpr.kind {
                let base = try evaluate(baseExpr, in: scope)
                if case .tensor(let t) = base, let method = Methods.tensorMethods[name] {
                    let (positional, keywords) = try evaluateArguments(args, in: scope)
                    try checkInterrupt()
                    return try method(t, name, CallArguments(positional, keywords, function: name), self)
                }
                let fn = try located(fnExpr.location) { try getAttribute(base, name) }
                let (positional, keywords) = try evaluateArguments(args, in: scope)
                return try call(fn, positional, keywords)
            }
            let fn = try evaluate(fnExpr, in: scope)
            let (positional, keywords) = try evaluateArguments(args, in: scope)
            return try call(fn, positional, keywords)
        case .attribute(let base, let name):
            return try getAttribute(try evaluate(base, in: scope), name)
        case .subscript(let base, let items):
            return try getItem(try evaluate(base, in: scope), items, in: scope)
        }
    }

    /// A list or dict comprehension, in a scope of its own (its loop variables do not
    /// leak, as in Python 3); the first iterable is evaluated where the comprehension is.
    private func comprehension(_ element: Expr, _ value: Expr?, _ clauses: [ComprehensionClause], in scope: Scope) throws -> Value {
        let local = Scope(parent: scope)
        var items: [Value] = []
        let dict = value == nil ? nil : DictStorage()
        func run(_ i: Int) throws {
            guard i < clauses.count else {
                if let dict, let value {
                    try dict.set(try evaluate(element, in: local), try evaluate(value, in: local))
                } else {
                    items.append(try evaluate(element, in: local))
                    if items.count & 0xFFFF == 0 { try Interpreter.checkSequence(Int64(items.count)) }
                }
                return
            }
            switch clauses[i] {
            case .loop(let target, let iterableExpr):
                let iterable = try evaluate(iterableExpr, in: i == 0 ? scope : local)
                try located(iterableExpr.location) {
                    try forEachItem(of: iterable) { item in
                        _ = try assign(target, item, in: local)
                        try run(i + 1)
                    }
                }
            case .filter(let condition):
                if try evaluate(condition, in: local).truth() { try run(i + 1) }
            }
        }
        try run(0)
        if let dict { return .dict(dict) }
        return .list(ListStorage(items))
    }

    /// One pass of a loop's body: false when `break` left the loop (`continue` just ends the pass).
    private func runLoopBody(_ body: [Stmt], in scope: Scope) throws -> Bool {
        do {
            for s in body { try execute(s, display: false, in: scope) }
        } catch is BreakSignal {
            return false
        } catch is ContinueSignal {}
        return true
    }

    /// Errors being handled by the `except` blocks running now, innermost last (for `raise`).
    private var handledErrors: [GradError] = []

    /// `try`: an error of the body goes to the first `except` whose classes it belongs to;
    /// `else` runs when there was none; `finally` runs however the statement ends (an
    /// error, `return`, `break`). Ctrl-C and --timeout are never caught.
    private func runTry(_ body: [Stmt], _ handlers: [ExceptHandler], _ orElse: [Stmt], _ finally: [Stmt], in scope: Scope) throws {
        var pending: Error? = nil
        do {
            var failed = false
            do {
                for s in body { try execute(s, display: false, in: scope) }
            } catch let e as GradError where !e.isInterruption {
                failed = true
                var handler: ExceptHandler? = nil
                for h in handlers {
                    guard let typesExpr = h.types else { handler = h; break }
                    let classes = try located(typesExpr.location) { try Exceptions.classes(in: try evaluate(typesExpr, in: scope)) }
                    if classes.contains(where: { Exceptions.isSubclass(e.type, of: $0) }) { handler = h; break }
                }
                guard let handler else { throw e }
                if let name = handler.name { scope.target(for: name).variables[name] = .exception(e) }
                handledErrors.append(e)
                defer { handledErrors.removeLast() }
                for s in handler.body { try execute(s, display: false, in: scope) }
            }
            if !failed { for s in orElse { try execute(s, display: false, in: scope) } }
        } catch {
            pending = error
        }
        for s in finally { try execute(s, display: false, in: scope) }
        if let pending { throw pending }
    }

    /// `del name`, `del l[i]`, `del d[k]`.
    private func delete(_ target: Target, in scope: Scope) throws {
        switch target {
        case .name(let n, let loc):
            let owner = scope.target(for: n)
            guard owner.variables.removeValue(forKey: n) != nil else { throw GradError.name(n).located(loc) }
        case .subscript(let baseExpr, let items, let loc):
            let base = try evaluate(baseExpr, in: scope)
            try located(loc) {
                switch base {
                case .dict(let d):
                    let key = try dictKey(items, in: scope)
                    guard try d.remove(key) != nil else { throw GradError("KeyError", try Repr.repr(key)) }
                case .list(let l):
                    guard items.count == 1, case .expr(let e) = items[0] else { throw GradError.type("list indices must be integers") }
                    var i = try evaluate(e, in: scope).asInt("list index")
                    if i < 0 { i += l.items.count }
                    guard i >= 0 && i < l.items.count else { throw GradError.index("list assignment index out of range") }
                    l.willMutate()
                    l.items.remove(at: i)
                default:
                    throw GradError.type("'\(base.typeName)' object doesn't support item deletion")
                }
            }
        case .tuple(let targets, _):
            for t in targets { try delete(t, in: scope) }
        case .starred(_, let loc):
            throw GradError.syntax("cannot delete starred", at: loc)
        case .attribute(_, let name, let loc):
            throw GradError("AttributeError", "gradsh cannot delete attributes ('\(name)')").located(loc)
        }
    }

    // MARK: calls

    /// Evaluates call arguments left to right into positional values and keyword pairs.
    private func evaluateArguments(_ args: [Argument], in scope: Scope) throws -> ([Value], [(String, Value)]) {
        var positional: [Value] = []
        var keywords: [(String, Value)] = []
        for a in args {
            let v = try evaluate(a.value, in: scope)
            switch a.spread {
            case 1:
                try located(a.value.location) { try forEachItem(of: v, collecting: true) { positional.append($0) } }
            case 2:
                guard case .dict(let d) = v else {
                    throw GradError.type("argument after ** must be a mapping, not \(v.typeName)").located(a.value.location)
                }
                for (k, value) in zip(d.keys, d.values) {
                    guard case .str(let name) = k else { throw GradError.type("keywords must be strings").located(a.value.location) }
                    if keywords.contains(where: { $0.0 == name }) { throw GradError.type("got multiple values for keyword argument '\(name)'").located(a.value.location) }
                    keywords.append((name, value))
                }
            default:
                if let label = a.label { keywords.append((label, v)) } else { positional.append(v) }
            }
        }
        return (positional, keywords)
    }

    /// The items of a list or tuple display, `*xs` spread.
    private func spread(_ items: [Expr], in scope: Scope) throws -> [Value] {
        var out: [Value] = []
        for item in items {
            if case .starred(let inner) = item.kind {
                let v = try evaluate(inner, in: scope)
                try located(inner.location) { try forEachItem(of: v, collecting: true) { out.append($0) } }
            } else {
                out.append(try evaluate(item, in: scope))
            }
        }
        return out
    }

    package func call(_ fn: Value, _ positional: [Value], _ keywords: [(String, Value)] = []) throws -> Value {
        try checkInterrupt()
        switch fn {
        case .function(let f):
            return try callFunction(f, positional, keywords)
        case .builtin(let b):
            var args = CallArguments(positional, keywords, function: b.name)
            return try b.call(&args, self)
        case .boundMethod(let receiver, let name):
            var args = CallArguments(positional, keywords, function: name)
            return try Methods.call(receiver, name, &args, self)
        case .gradModeObject(let change, let restoring):
            let typeName = change.kind.torchName
            // no_grad()(f): the same function, called under the mode, as @no_grad makes it.
            guard positional.count == 1, keywords.isEmpty, case .function(let f) = positional[0] else {
                throw GradError.type("\(typeName)() can wrap one function defined with def, as in \(typeName)()(f)")
            }
            if let restoring { GradModeState.setGradEnabled(restoring) }
            return .function(Function(definition: f.definition, defaults: f.defaults, closure: f.closure, modes: [change] + f.modes))
        case .module(let m as ScriptModule):
            // model(x): the class's forward, with every argument it takes.
            guard let instance = m.pythonObject as? Instance, case .function(let forward)? = instance.cls.lookup("forward") else {
                throw GradError("NotImplementedError", "Module [\(m.className)] is missing the required \"forward\" function")
            }
            return try callFunction(forward, [fn] + positional, keywords)
        case .module(let m as Loss):
            let bound = try CallArguments(positional, keywords, function: "\(m.typeName).forward").bind(["input", "target"], required: 2)
            return .tensor(try m.forward(try bound[0]!.asTensor("input"), target: try bound[1]!.asTensor("target")))
        case .module(let m):
            let args = CallArguments(positional, keywords, function: "forward")
            let bound = try args.bind(["input"], required: 1)
            return .tensor(try m.forward(try bound[0]!.asTensor("input")))
        case .classObject(let cls):
            return try instantiate(cls, positional, keywords)
        case .boundFunction(let f, let receiver):
            return try callFunction(f, [receiver] + positional, keywords)
        case .instance(let i):
            guard case .function(let f)? = i.cls.lookup("__call__") else {
                throw GradError.type("'\(i.cls.name)' object is not callable")
            }
            return try callFunction(f, [fn] + positional, keywords)
        default:
            throw GradError.type("'\(fn.typeName)' object is not callable")
        }
    }

    func callFunction(_ f: Function, _ allPositional: [Value], _ allKeywords: [(String, Value)]) throws -> Value {
        let params = f.definition.parameters.map(\.name)
        let required = f.defaults.firstIndex { $0 != nil } ?? params.count
        // `*args` takes the positional arguments past the named ones, `**kwargs` the
        // keywords no parameter has.
        var (positional, keywords) = (allPositional, allKeywords)
        var surplus: [Value] = [], extraKeywords: [(String, Value)] = []
        if f.definition.varArgs != nil && positional.count > params.count {
            surplus = Array(positional[params.count...])
            positional.removeLast(positional.count - params.count)
        }
        if f.definition.varKeywords != nil {
            extraKeywords = keywords.filter { !params.contains($0.0) }
            keywords = keywords.filter { params.contains($0.0) }
        }
        let args = CallArguments(positional, keywords, function: f.name)
        let bound = try args.bind(params, required: required)
        let local = Scope(parent: f.closure, localNames: f.definition.localNames)
        for (i, name) in params.enumerated() { local.variables[name] = bound[i] ?? f.defaults[i] ?? Value.none }
        if let name = f.definition.varArgs { local.variables[name] = .tuple(TupleStorage(surplus)) }
        if let name = f.definition.varKeywords {
            let d = DictStorage()
            for (k, v) in extraKeywords { try d.set(.str(k), v) }
            local.variables[name] = .dict(d)
        }
        if let owner = f.owner, let object = allPositional.first, !f.definition.isStatic {
            methodFrames.append((owner, object))
        }
        defer { if f.owner != nil, !allPositional.isEmpty, !f.definition.isStatic { methodFrames.removeLast() } }
        callDepth += 1
        try StackGuard.check()
        let callerLine = currentLine
        defer {
            callDepth -= 1
            currentLine = callerLine
        }
        if callDepth > maxCallDepth {
            throw GradError("RecursionError", "maximum recursion depth exceeded (\(maxCallDepth) nested calls)")
        }
        // Decorators apply per call, the outermost first.
        func run(_ level: Int) throws -> Value {
            if level == f.modes.count {
                do {
                    for s in f.definition.body { try execute(s, display: false, in: local) }
                } catch is ReturnSignal {
                    defer { returnedValue = .none }
                    return returnedValue
                }
                return .none
            }
            let change = f.modes[level]
            return try withMode(change, scope: "@\(change.blockName) \(f.name)()") { try run(level + 1) }
        }
        return try run(0)
    }

    // MARK: iteration

    /// `collecting`: the items are being gathered into a list (so a huge range is refused
    /// up front instead of exhausting memory).
    func forEachItem(of value: Value, collecting: Bool = false, _ visit: (Value) throws -> Void) throws {
        // Every iteration polls for Ctrl-C and --timeout now and then: a cheap body (a
        // comparison for `in`, a sum) may be all that runs for a long time.
        var polled = 0
        func body(_ item: Value) throws {
            polled &+= 1
            if polled & 1023 == 0 { try checkInterrupt() }
            try visit(item)
        }
        switch value {
        case .list(let l):
            var i = 0
            while i < l.items.count {
                try body(l.items[i])
                i += 1
            }
        case .tuple(let items): for v in items { try body(v) }
        case .dict(let d): for k in d.keys { try body(k) }
        case .instance(let i) where i.cls.lookup("__getitem__") != nil:
            // Python's old protocol: obj[0], obj[1], ... until IndexError (bounded by __len__ if any).
            guard case .function(let getItem)? = i.cls.lookup("__getitem__") else { break }
            var index: Int64 = 0
            while true {
                let item: Value
                do {
                    item = try callFunction(getItem, [value, .int(index)], [])
                } catch let e as GradError where e.type == "IndexError" || e.type == "StopIteration" {
                    break
                }
                try body(item)
                index += 1
            }
        case .range(let start, let stop, let step):
            var i = start
            if collecting, let n = Builtins.rangeLength(start, stop, step) { try Interpreter.checkSequence(n) }
            while step > 0 ? i < stop : i > stop {
                try body(.int(i))
                // Past Int64's end is past `stop` too.
                let (next, overflow) = i.addingReportingOverflow(step)
                if overflow { break }
                i = next
            }
        case .tensor(let t):
            guard t.rank > 0 else { throw GradError.type("iteration over a 0-d tensor") }
            for i in 0..<t.shape[0] { try body(.tensor(try t.select(dim: 0, index: i))) }
        case .str(let s): for c in s { try body(.str(String(c))) }
        case .scriptLoader(let l):
            try forEachBatch(l, body)
        case .loader(let l):
            for batch in try l.batches() { try body(.list(ListStorage(batch.map { .tensor($0) }))) }
        case .dataset(let d):
            for i in 0..<d.count { try body(.tuple(TupleStorage(try d.item(i).map { .tensor($0) }))) }
        case .module(let m as Sequential):
            for c in m.modules { try body(.module(c)) }
        default:
            throw GradError.type("'\(value.typeName)' object is not iterable")
        }
    }
}

extension Value {
    var isNone: Bool { if case .none = self { return true } else { return false } }
}
