/// A rotation is a module with one parameter, `matrix` (`[k, d]`), so that an intervention holding
/// one lists it as `rotation.matrix`.
extension Rotation: Module {}
