// In-app navigation without a page load. main.js installs the router; pages call navigate().
let navigator = (path) => {
  location.assign(path);
};

export function setNavigator(fn) {
  navigator = fn;
}

export function navigate(path, options) {
  navigator(path, options);
}
